"""A recording TCP proxy for the PostgreSQL wire protocol.

The services reach the capture database through it. It forwards every byte
unchanged and decodes what the client sends: Parse (statement texts), Bind
(parameter values), Execute, Sync and simple Query messages. Messages up to a
Sync are one round trip, so it also sees which statements a service sends
together as one libpq pipeline — which PostgreSQL's statement log cannot
show once the pipelined statements are prepared ones.
"""
import socket
import struct
import threading

from .util import HarnessError

SSL_REQUEST, GSSENC_REQUEST, CANCEL_REQUEST = 80877103, 80877104, 80877102


class Statement:
    """One executed statement: its text, its parameters ({n: text or None}),
    the connection and the round trip it was sent in."""

    def __init__(self, sql, params, connection, round_trip, sequence):
        self.sql = sql
        self.params = params
        self.connection = connection
        self.round_trip = round_trip
        self.sequence = sequence


class Recorder:
    def __init__(self, upstream_host, upstream_port):
        self.upstream = (upstream_host, upstream_port)
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(64)
        self.port = self.listener.getsockname()[1]
        self.lock = threading.Lock()
        self.sequence = 0
        self.round_trips = 0
        self.statements = []
        self.errors = []
        self.closed = False
        self.connections = 0
        threading.Thread(target=self._accept, daemon=True).start()

    def mark(self):
        with self.lock:
            self.sequence += 1
            return self.sequence

    def between(self, start, end):
        with self.lock:
            if self.errors:
                raise HarnessError("wire recorder: %s" % "; ".join(self.errors))
            return [s for s in self.statements if start < s.sequence < end]

    def close(self):
        self.closed = True
        try:
            self.listener.close()
        except OSError:
            pass

    # -- plumbing ------------------------------------------------------------

    def _accept(self):
        while not self.closed:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            try:
                server = socket.create_connection(self.upstream)
            except OSError as error:
                self.errors.append("cannot reach PostgreSQL: %s" % error)
                client.close()
                continue
            with self.lock:
                self.connections += 1
                number = self.connections
            for sock in (client, server):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            threading.Thread(target=self._client_to_server, args=(client, server, number), daemon=True).start()
            threading.Thread(target=self._pump, args=(server, client), daemon=True).start()

    def _pump(self, source, target):
        try:
            while True:
                data = source.recv(65536)
                if not data:
                    break
                target.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, target):
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def _client_to_server(self, client, server, number):
        buffer = b""
        startup = True
        state = {"parsed": {}, "portals": {}, "pending": [], "round_trip": None}
        try:
            while True:
                data = client.recv(65536)
                if not data:
                    break
                buffer += data
                while True:
                    if startup:
                        if len(buffer) < 4:
                            break
                        length = struct.unpack("!I", buffer[:4])[0]
                        if len(buffer) < length:
                            break
                        code = struct.unpack("!I", buffer[4:8])[0]
                        buffer = buffer[length:]
                        # After an SSL/GSS request (refused by this cluster with
                        # 'N') comes the real startup packet, also untyped.
                        startup = code in (SSL_REQUEST, GSSENC_REQUEST)
                        continue
                    if len(buffer) < 5:
                        break
                    kind = buffer[:1]
                    length = struct.unpack("!I", buffer[1:5])[0]
                    if len(buffer) < 1 + length:
                        break
                    body = buffer[5:1 + length]
                    buffer = buffer[1 + length:]
                    self._message(kind, body, number, state)
                # Forwarded only once recorded: the server's answer, and so
                # the service's HTTP answer and the harness's closing mark,
                # then come after the record (forwarding first could let a loaded
                # machine mark the end before the statement was
                # recorded: "the capture saw no statements for list_orders").
                server.sendall(data)
        except (OSError, ValueError, struct.error, UnicodeDecodeError) as error:
            if not isinstance(error, OSError):
                self.errors.append("connection %d: cannot decode a message: %r" % (number, error))
        finally:
            for sock in (client, server):
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def _round_trip(self, state):
        if state["round_trip"] is None:
            with self.lock:
                self.round_trips += 1
                state["round_trip"] = self.round_trips
        return state["round_trip"]

    def _record(self, sql, params, number, state):
        round_trip = self._round_trip(state)
        with self.lock:
            self.sequence += 1
            self.statements.append(Statement(sql, params, number, round_trip, self.sequence))

    def _message(self, kind, body, number, state):
        if kind == b"P":
            name, rest = _cstring(body)
            query, _ = _cstring(rest)
            state["parsed"][name] = query
        elif kind == b"B":
            portal, rest = _cstring(body)
            name, rest = _cstring(rest)
            (formats,) = struct.unpack("!H", rest[:2])
            codes = struct.unpack("!%dH" % formats, rest[2:2 + 2 * formats])
            rest = rest[2 + 2 * formats:]
            (count,) = struct.unpack("!H", rest[:2])
            rest = rest[2:]
            params = {}
            for index in range(count):
                (size,) = struct.unpack("!i", rest[:4])
                rest = rest[4:]
                if size < 0:
                    params[index + 1] = None
                    continue
                value, rest = rest[:size], rest[size:]
                code = codes[0] if len(codes) == 1 else (codes[index] if codes else 0)
                if code != 0:
                    raise ValueError("binary parameter $%d" % (index + 1))
                params[index + 1] = value.decode("utf-8")
            state["portals"][portal] = (state["parsed"].get(name), params)
        elif kind == b"E":
            portal, _ = _cstring(body)
            sql, params = state["portals"].get(portal, (None, {}))
            if sql is None:
                raise ValueError("Execute of a statement whose Parse was not seen")
            self._record(sql, params, number, state)
        elif kind == b"S":
            state["round_trip"] = None
        elif kind == b"Q":
            query, _ = _cstring(body)
            state["round_trip"] = None
            self._record(query, {}, number, state)
            state["round_trip"] = None
        elif kind == b"C":
            target, rest = body[:1], body[1:]
            name, _ = _cstring(rest)
            if target == b"S":
                state["parsed"].pop(name, None)


def _cstring(data):
    end = data.index(b"\0")
    return data[:end].decode("utf-8"), data[end + 1:]
