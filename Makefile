test:
	bash .ci/run

.PHONY: test
