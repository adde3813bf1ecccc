"""Running the official SDK's coroutines from a test."""

import asyncio
from concurrent.futures import ThreadPoolExecutor


def run(coroutine):
    # The browser tests' Playwright keeps an event loop running on the main thread for the whole
    # session, so the SDK's coroutines get a thread of their own.
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()
