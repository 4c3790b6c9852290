#!/usr/bin/env python3
"""A minimal HTTP CONNECT proxy for the integration tests: listens on 127.0.0.1,
logs each CONNECT target (one line per connection) to the file given, relays
bytes both ways. Only loopback targets are allowed. Stopped by its PID."""
import socket
import sys
import threading

log_path = sys.argv[1]
port_file = sys.argv[2]
log_lock = threading.Lock()


def relay(a, b):
    try:
        while True:
            data = a.recv(65536)
            if not data:
                break
            b.sendall(data)
    except OSError:
        pass
    finally:
        try:
            b.shutdown(socket.SHUT_WR)
        except OSError:
            pass


def serve(client):
    try:
        head = b""
        while b"\r\n\r\n" not in head and len(head) < 16384:
            chunk = client.recv(1)
            if not chunk:
                return
            head += chunk
        line = head.split(b"\r\n", 1)[0].decode("latin-1")
        parts = line.split()
        if len(parts) != 3 or parts[0] != "CONNECT":
            client.sendall(b"HTTP/1.1 405 Method Not Allowed\r\n\r\n")
            return
        host, _, port = parts[1].rpartition(":")
        if host not in ("127.0.0.1", "localhost"):
            client.sendall(b"HTTP/1.1 403 Forbidden\r\n\r\n")
            return
        with log_lock, open(log_path, "a") as f:
            f.write("CONNECT %s\n" % parts[1])
        upstream = socket.create_connection((host, int(port)), timeout=10)
        upstream.settimeout(None)
        client.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
        t = threading.Thread(target=relay, args=(upstream, client), daemon=True)
        t.start()
        relay(client, upstream)
        t.join()
        upstream.close()
    except OSError:
        pass
    finally:
        client.close()


srv = socket.socket()
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", 0))
srv.listen(64)
with open(port_file, "w") as f:
    f.write(str(srv.getsockname()[1]))
while True:
    c, _ = srv.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
