import os, time, threading
_l = threading.local()
def pre_request(worker, req):
    _l.t = time.thread_time(); _l.w = time.perf_counter()
def post_request(worker, req, environ, resp):
    try:
        cpu = time.thread_time() - _l.t; wall = time.perf_counter() - _l.w
        with open(f"/tmp/reqcpu/{os.getpid()}.tsv", "a") as f:
            f.write(f"{req.method}\t{req.path}\t{cpu*1000:.2f}\t{wall*1000:.2f}\t{getattr(resp,'status_code', resp.status)}\n")
    except Exception:
        pass
