"""A relay that puts a network between the members and the team store: it listens on a TCP port
of 127.0.0.1 and forwards each connection to the cluster's Unix socket, holding every chunk for
half the round-trip time in each direction (order kept), so each round trip to the server costs
``--rtt`` more, as with a database server on another machine. Run in a process of its own (its
own GIL): ``python bench/netdelay.py --rtt 0.005 --to /tmp/.../.s.PGSQL.5432``; it prints the
port it listens on, then serves until killed."""

from __future__ import annotations

import argparse
import asyncio


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, delay: float) -> None:
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[tuple[float, bytes]] = asyncio.Queue()

    async def deliver() -> None:
        while True:
            due, data = await queue.get()
            if not data:
                break
            wait = due - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
            writer.write(data)
            await writer.drain()
        writer.close()

    sender = asyncio.ensure_future(deliver())
    try:
        while data := await reader.read(65536):
            queue.put_nowait((loop.time() + delay, data))
    except OSError:
        pass
    queue.put_nowait((0.0, b""))
    await sender


async def main(rtt: float, target: str, port: int = 0) -> None:
    async def handle(client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        server_r, server_w = await asyncio.open_unix_connection(target)
        await asyncio.gather(_pipe(client_r, server_w, rtt / 2), _pipe(server_r, client_w, rtt / 2),
                             return_exceptions=True)

    server = await asyncio.start_server(handle, "127.0.0.1", port)
    print(server.sockets[0].getsockname()[1], flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rtt", type=float, required=True, help="seconds added per round trip")
    parser.add_argument("--to", required=True, help="the server's Unix socket")
    parser.add_argument("--port", type=int, default=0, help="port to listen on (default: any)")
    args = parser.parse_args()
    asyncio.run(main(args.rtt, args.to, args.port))
