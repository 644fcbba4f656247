"""``python -m krm_fn``: the same as the ``kserve-pvc-fn`` command."""

from krm_fn.cli import main

main()
