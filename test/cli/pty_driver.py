"""Drives a command in a pseudo-terminal from a JSON script (for the REPL tests; node-pty needs
an install script, python3's pty module does not).

argv: <json steps> <cmd> [args...]. Steps: {"send": "text"} | {"expect": "regex", "timeout": s}
| {"sleep": s} | {"eof": true}. Prints JSON {ok, failed_step, output, exit}. The terminal is
PTY_COLS columns wide (default 160).
"""
import json, os, pty, re, select, sys, time, signal

steps = json.loads(sys.argv[1])
cmd = sys.argv[2:]
cols = int(os.environ.get("PTY_COLS", "160"))
pid, fd = pty.fork()
if pid == 0:
    os.environ.pop("PTY_COLS", None)
    os.environ["COLUMNS"] = str(cols)
    os.execvp(cmd[0], cmd)

import fcntl, termios, struct
fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 40, cols, 0, 0))
buf = b""
pos = 0  # expectations match after the previous match

def read_some(timeout):
    global buf
    r, _, _ = select.select([fd], [], [], timeout)
    if r:
        try:
            data = os.read(fd, 65536)
        except OSError:
            return False
        if not data:
            return False
        buf += data
    return True

def send_all(data):
    # a large paste: write as the child reads, and keep reading its output meanwhile (a child
    # blocked writing to a full terminal reads no input)
    while data:
        r, w, _ = select.select([fd], [fd], [], 1)
        if r:
            read_some(0)
        if w:
            n = os.write(fd, data[:4096])
            data = data[n:]

result = {"ok": True, "failed_step": None}
for i, step in enumerate(steps):
    if "send" in step:
        send_all(step["send"].encode())
        time.sleep(step.get("pause", 0.05))
    elif "sleep" in step:
        end = time.time() + step["sleep"]
        while time.time() < end:
            read_some(max(0, end - time.time()))
    elif "expect" in step:
        pattern = re.compile(step["expect"].encode(), re.S)
        deadline = time.time() + step.get("timeout", 20)
        while True:
            m = pattern.search(buf, pos)
            if m:
                pos = m.end()
                break
            if time.time() > deadline:
                result = {"ok": False, "failed_step": i}
                break
            if not read_some(0.1):
                # child gone: one last look
                m = pattern.search(buf, pos)
                if m:
                    pos = m.end()
                else:
                    result = {"ok": False, "failed_step": i}
                break
        if not result["ok"]:
            break
    elif "eof" in step:
        os.write(fd, b"\x04")

# collect the exit status (kill after a grace period)
code = None
deadline = time.time() + 10
while time.time() < deadline:
    read_some(0.1)
    wpid, status = os.waitpid(pid, os.WNOHANG)
    if wpid == pid:
        code = os.waitstatus_to_exitcode(status)
        break
if code is None:
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    code = "killed"
while read_some(0.05):
    pass
result["exit"] = code
result["output"] = buf.decode("utf8", "replace")
print(json.dumps(result))
