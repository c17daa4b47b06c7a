#!/usr/bin/env python3
"""A local SMTP sink for relance's delivery tests and benchmark (aiosmtpd).

    python3 tests/smtp_sink.py --dir DIR      store each message as DIR/<n>.eml
    python3 tests/smtp_sink.py --discard      accept and count only

It listens on 127.0.0.1 on a free port and prints the port on the first line
of stdout. Recipients decide the answer, so tests can ask for failures:
`reject@...` gets `550` (permanent), `tempfail@...` gets `451` (transient);
anyone else is accepted. A message is written whole, then renamed, before the
`250` reply, so a message the sender saw accepted is on disk.
"""

import argparse
import asyncio
import itertools
import os
import socket
import sys

from aiosmtpd.smtp import SMTP


class Handler:
    def __init__(self, directory):
        self.directory = directory
        self.counter = itertools.count(1)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        local = address.split("@", 1)[0].lower()
        if local == "reject":
            return "550 5.1.1 <%s>: mailbox unavailable" % address
        if local == "tempfail":
            return "451 4.3.0 <%s>: try again later" % address
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server, session, envelope):
        n = next(self.counter)
        if self.directory:
            name = "%d-%d" % (os.getpid(), n)
            tmp = os.path.join(self.directory, name + ".tmp")
            with open(tmp, "wb") as f:
                f.write(envelope.original_content or envelope.content)
            os.rename(tmp, os.path.join(self.directory, name + ".eml"))
        return "250 2.0.0 queued as %d" % n


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--dir")
    parser.add_argument("--discard", action="store_true")
    args = parser.parse_args()
    if not args.dir and not args.discard:
        parser.error("--dir or --discard")
    if args.dir:
        os.makedirs(args.dir, exist_ok=True)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    handler = Handler(args.dir)
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: SMTP(handler, hostname="sink.localhost", data_size_limit=10 * 1024 * 1024),
        sock=sock,
    )
    print(sock.getsockname()[1], flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        sys.exit(0)
