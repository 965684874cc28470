#!/usr/bin/env python3
"""Bookings/s through a running SkyFly (any number of worker processes behind it).

Usage: scripts/scale-out-load.py BASE_URL STAFF_EMAIL STAFF_PASSWORD [--clients 16] [--seconds 10]

Schedules flights with plenty of seats, registers customers, then runs CLIENTS closed loops for
SECONDS: each places a booking and polls its view until it leaves `pending`. Prints confirmed
bookings/s and latency percentiles (POST to confirmed). Standard library only.
"""
import argparse
import json
import threading
import time
import urllib.error
import urllib.request
import uuid


def call(base, method, path, token=None, body=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(base + path, data=data, method=method)
    req.add_header("content-type", "application/json")
    if token:
        req.add_header("authorization", "Bearer " + token)
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, json.loads(r.read() or b"null")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null")


def login(base, email, password):
    status, body = call(base, "POST", "/api/v1/auth/login", body={"email": email, "password": password})
    assert status == 200, body
    return body["access_token"]


def main():
    p = argparse.ArgumentParser()
    p.add_argument("base")
    p.add_argument("staff_email")
    p.add_argument("staff_password")
    p.add_argument("--clients", type=int, default=16)
    p.add_argument("--seconds", type=float, default=10)
    a = p.parse_args()
    base = a.base.rstrip("/")
    staff = login(base, a.staff_email, a.staff_password)
    run = uuid.uuid4().hex[:6]
    flights = []
    for n in range(8):
        status, body = call(base, "POST", "/api/v1/flights", staff, {
            "flight_number": f"SL{1000 + n}", "origin": "DFW", "destination": "ORD",
            "departure": f"2031-0{1 + n % 9}-1{n % 9}T14:00:00Z",
            "arrival": f"2031-0{1 + n % 9}-1{n % 9}T16:30:00Z",
            "cabins": {"economy": {"capacity": 50000, "fare": {"amount": 12345, "currency": "USD"}}}})
        assert status in (201, 409), body
        flights.append(f"SL{1000 + n}-2031-0{1 + n % 9}-1{n % 9}")
    tokens = []
    for n in range(a.clients):
        email = f"load-{run}-{n}@example.com"
        status, body = call(base, "POST", "/api/v1/auth/register", body={"email": email, "password": "load-password-1", "name": "Load"})
        assert status == 201, body
        tokens.append(login(base, email, "load-password-1"))
    latencies, failed, lock = [], [0], threading.Lock()
    until = time.monotonic() + a.seconds

    def client(i):
        while time.monotonic() < until:
            t = time.monotonic()
            status, body = call(base, "POST", "/api/v1/bookings", tokens[i], {
                "flight_id": flights[i % len(flights)], "cabin": "economy",
                "passengers": [{"first_name": "Load", "last_name": "Client"}],
                "contact": {"email": "load@example.com"},
                "payment": {"card_number": "4242424242424242", "exp_month": 12, "exp_year": 2035, "cvc": "123"}})
            if status != 202:
                with lock:
                    failed[0] += 1
                continue
            pause = 0.02
            while True:
                time.sleep(pause)
                pause = min(pause * 1.5, 0.06)
                _, view = call(base, "GET", f"/api/v1/bookings/{body['booking_id']}", tokens[i])
                if view and view.get("status") not in (None, "pending"):
                    break
            with lock:
                if view["status"] == "confirmed":
                    latencies.append(time.monotonic() - t)
                else:
                    failed[0] += 1

    started = time.monotonic()
    threads = [threading.Thread(target=client, args=(i,)) for i in range(a.clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - started
    latencies.sort()
    pct = lambda q: latencies[min(len(latencies) - 1, int(q * (len(latencies) - 1)))] * 1000 if latencies else 0
    print(json.dumps({"clients": a.clients, "bookings_per_s": len(latencies) / elapsed,
                      "p50_ms": pct(0.5), "p95_ms": pct(0.95), "p99_ms": pct(0.99), "failed": failed[0]}))


if __name__ == "__main__":
    main()
