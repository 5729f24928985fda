#!/usr/bin/env python3
"""Starts the real optuna-dashboard server on a journal (127.0.0.1, a free port), asks its
HTTP API for the studies and the named study's detail, stops the server, and prints
{"dashboard": VERSION, "studies": [...], "detail": {...}} as JSON.
`optuna-dashboard-api.py JOURNAL STUDY_NAME [DEADLINE_SECONDS]`
Every wait has a deadline; the server is stopped whatever happens. Exit code 3 when
optuna-dashboard is not installed."""
import json, os, signal, socket, subprocess, sys, time, urllib.error, urllib.request

try:
    import optuna_dashboard
except ImportError as e:
    print(f"optuna-dashboard is not installed: {e}", file=sys.stderr)
    sys.exit(3)


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(url):
    with urllib.request.urlopen(url, timeout=10) as r:
        return json.loads(r.read())


def main():
    journal, name = sys.argv[1], sys.argv[2]
    deadline = time.monotonic() + float(sys.argv[3] if len(sys.argv) > 3 else 60)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    # The console script optuna-dashboard is exactly this call.
    server = subprocess.Popen(
        [sys.executable, "-c", "import sys; from optuna_dashboard._cli import main; sys.exit(main())",
         journal, "--host", "127.0.0.1", "--port", str(port), "--server", "wsgiref", "--quiet"],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    try:
        studies = None
        while studies is None:
            if server.poll() is not None:
                sys.exit(f"optuna-dashboard exited with {server.returncode}: {server.stderr.read().decode()[-2000:]}")
            if time.monotonic() > deadline:
                sys.exit("optuna-dashboard did not answer /api/studies before the deadline")
            try:
                studies = get(f"{base}/api/studies")["study_summaries"]
            except (urllib.error.URLError, ConnectionError, OSError):
                time.sleep(0.2)
        match = [s for s in studies if s["study_name"] == name]
        detail = get(f"{base}/api/studies/{match[0]['study_id']}") if match else None
        print(json.dumps({"dashboard": optuna_dashboard.__version__, "studies": studies, "detail": detail}))
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


if __name__ == "__main__":
    main()
