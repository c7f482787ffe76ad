"""The same load through aiohttp, the client of vLLM's and SGLang's serving benchmarks.

clientbench runs it (phase "aiohttp", with Debian's python3-aiohttp) to set benchtui's
figures beside a well-known client's: it streams n completions from the test server as vLLM's
benchmark does (one task per request, lines read from the response, each chunk timed when
read and decoded with json.loads) and prints one JSON line: its CPU and wall time, and every
stream's chunk times (Unix ns, to compare with the server's write times).

usage: aiohttp_client.py BASE_URL STREAMS OUTPUT_TOKENS RATE
"""

import asyncio
import json
import resource
import sys
import time

import aiohttp


async def one(session, url, i, osl, times):
    body = {"model": "test-model", "prompt": [i, 1, 2, 3, 4, 5, 6, 7], "max_tokens": osl,
            "stream": True, "stream_options": {"include_usage": True}, "ignore_eos": True,
            "temperature": 0}
    got = []
    async with session.post(url + "/v1/completions", json=body) as resp:
        async for line in resp.content:
            ts = time.time_ns()
            line = line.strip()
            if not line.startswith(b"data: "):
                continue
            data = line[6:]
            if data == b"[DONE]":
                break
            chunk = json.loads(data)
            choices = chunk.get("choices")
            if choices and choices[0].get("text"):
                got.append(ts)
    times[i] = got


async def main():
    url, n, osl, rate = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
    times = {}
    connector = aiohttp.TCPConnector(limit=0)
    timeout = aiohttp.ClientTimeout(total=6 * 3600)
    r0, t0 = resource.getrusage(resource.RUSAGE_SELF), time.time()
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        tasks = []
        for i in range(n):
            tasks.append(asyncio.create_task(one(session, url, i, osl, times)))
            if rate > 0:
                await asyncio.sleep(1 / rate)
        await asyncio.gather(*tasks)
    r1, t1 = resource.getrusage(resource.RUSAGE_SELF), time.time()
    cpu = (r1.ru_utime + r1.ru_stime) - (r0.ru_utime + r0.ru_stime)
    print(json.dumps({"cpu_s": cpu, "wall_s": t1 - t0, "times": times}))


asyncio.run(main())
