"""ELF (RV64E) to PolkaVM linker: reference/polkavm.md §6."""
