#!/usr/bin/env python3
"""Command → fresh query latency with consistency tokens.

For N trials: POST /orders on the command service, then GET /orders/{id} on
the query service with the returned Consistency-Token; the latency is from the
command's response to the query's `Consistency: fresh` answer. Persistent
HTTP connections, so no connection set-up is measured.

usage: read_your_writes.py CUSTOMER_ID [trials] [command host:port] [query host:port]
"""
import http.client
import json
import sys
import time

customer = sys.argv[1]
trials = int(sys.argv[2]) if len(sys.argv) > 2 else 500
command_host, command_port = (sys.argv[3] if len(sys.argv) > 3 else "127.0.0.1:8080").split(":")
query_host, query_port = (sys.argv[4] if len(sys.argv) > 4 else "127.0.0.1:8081").split(":")
command = http.client.HTTPConnection(command_host, int(command_port))
query = http.client.HTTPConnection(query_host, int(query_port))
body = json.dumps({"customer_id": customer, "items": [{"sku": "MUG-1", "quantity": 1, "unit_price": "4.50"}],
                   "shipping_address": {"line1": "1 Main St", "city": "Berlin", "postal_code": "10117", "country": "DE"}})
latencies, stale = [], 0
for _ in range(trials):
    command.request("POST", "/orders", body, {"Content-Type": "application/json"})
    answer = command.getresponse()
    created = json.loads(answer.read())
    if answer.status != 201:
        sys.exit("command failed: %s %s" % (answer.status, created))
    started = time.perf_counter()
    query.request("GET", "/orders/" + created["order_id"],
                  headers={"Consistency-Token": created["consistency_token"], "Consistency-Wait": "5000"})
    reply = query.getresponse()
    reply.read()
    latencies.append((time.perf_counter() - started) * 1000)
    if reply.status != 200 or reply.getheader("Consistency") != "fresh":
        stale += 1
latencies.sort()
pick = lambda q: latencies[min(len(latencies) - 1, int(q * len(latencies)))]
print("trials %d  p50 %.2f ms  p99 %.2f ms  max %.2f ms  not fresh %d" % (trials, pick(0.5), pick(0.99), latencies[-1], stale))
