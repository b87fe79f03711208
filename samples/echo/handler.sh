#!/bin/sh
# The echo function: the event arrives on stdin, the response is what goes to
# stdout. Used by the tests, the demo and the benchmarks.
exec cat
