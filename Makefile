# Thin wrappers around bin/, which the README names directly.
.PHONY: demo test lint worker bench services-down
demo:
	bin/demo
test:
	bin/test
lint:
	bin/lint
worker:
	bin/worker
bench:
	bin/bench
services-down:
	.venv/bin/python bin/services.py down
