/*
 * pvmkit guest header: host imports and guest exports for C programs compiled for PolkaVM.
 *
 * The records emitted here follow polkavm-linker's formats (crates/polkavm-linker/src/program_from_elf.rs:
 * `parse_extern_metadata_impl`, `extract_exports`, the ECALLI case of `parse_code_section`) and the layout of
 * polkavm's own `capi/polkavm_guest.h` / `polkavm-derive` (`ExternMetadataV1/V2` in
 * crates/polkavm-derive-impl/src/abi_support_impl/common_private.rs).  Written for clang >= 19 on
 * riscv64 (`-march=rv64emac... -mabi=lp64e -fpic`), i.e. 8-byte pointers.
 *
 *   PVM_IMPORT(ret, name, argtypes...)                 host import, metadata version 1
 *   PVM_IMPORT_WITH_INDEX(index, ret, name, argtypes...) host import with a fixed index, metadata version 2
 *                                                      (polkavm-linker: if one import has an index, all must;
 *                                                      without indices, used imports are numbered by name)
 *   PVM_EXPORT(ret, name, argtypes...)                 export an already declared/defined function `name`
 *   PVM_MIN_STACK_SIZE(bytes)                          request a minimum stack size
 *
 * Argument and return types must be scalars or pointers (<= 8 bytes each, one register each);
 * the return type may also be void (0 registers) or a 16-byte scalar (2 registers).
 */
#ifndef PVMKIT_GUEST_H_
#define PVMKIT_GUEST_H_

#if !defined(__riscv) || __riscv_xlen != 64
#error "pvmkit/linker/guest.h targets riscv64 (rv64e*, lp64e)"
#endif

#define PVM_JOIN_IMPL_(a, b) a##b
#define PVM_JOIN_(a, b) PVM_JOIN_IMPL_(a, b)
#define PVM_UNIQUE_(prefix) PVM_JOIN_(prefix, __COUNTER__)

/*
 * Extern metadata, `#[repr(C, packed(1))]` in polkavm (no padding anywhere).  Byte offsets on a 64-bit target:
 *   +0   u8   version        1 (this struct) or 2 (the _v2 struct); anything else is rejected by the linker
 *   +1   u32  flags          must be 0 ("found unsupported flags")
 *   +5   u32  symbol_length  length of the symbol name in bytes (no NUL terminator counted)
 *   +9   ptr  symbol         8-byte pointer to the name; the linker ignores the stored value and follows
 *                            the R_RISCV_64 relocation at +9 (it is an error if there is none)
 *   +17  u8   input_regs     number of argument registers, <= 9 (Reg::MAXIMUM_INPUT_REGS)
 *   +18  u8   output_regs    number of result registers, <= 2 (Reg::MAXIMUM_OUTPUT_REGS)
 *   (v2 only)
 *   +19  u8   has_index      non-zero: `index` is the import's fixed number
 *   +20  u32  index
 * Total: 19 bytes (v1), 24 bytes (v2).  All integers little-endian.
 */
struct pvm_extern_metadata_v1 {
    unsigned char version;
    unsigned int flags;
    unsigned int symbol_length;
    const char *symbol;
    unsigned char input_regs;
    unsigned char output_regs;
} __attribute__((packed));

struct pvm_extern_metadata_v2 {
    unsigned char version;
    unsigned int flags;
    unsigned int symbol_length;
    const char *symbol;
    unsigned char input_regs;
    unsigned char output_regs;
    unsigned char has_index;
    unsigned int index;
} __attribute__((packed));

_Static_assert(sizeof(struct pvm_extern_metadata_v1) == 19, "extern metadata v1 must be 19 bytes");
_Static_assert(sizeof(struct pvm_extern_metadata_v2) == 24, "extern metadata v2 must be 24 bytes");

/* Argument counting (0..6 arguments: lp64e passes arguments in a0..a5 only); __VA_OPT__ works in every C mode. */
#define PVM_NARGS_(...)                                                                                         \
    PVM_NARGS_IMPL_(0 __VA_OPT__(, ) __VA_ARGS__, MANY, MANY, MANY, MANY, MANY, MANY, 6, 5, 4, 3, 2, 1, 0)
#define PVM_NARGS_IMPL_(_0, _1, _2, _3, _4, _5, _6, _7, _8, _9, _10, _11, _12, n, ...) n
#define PVM_DISPATCH_(macro, ...) PVM_JOIN_(macro, PVM_NARGS_(__VA_ARGS__))

/* Registers needed by one argument type: exactly one (checked to be <= 8 bytes by PVM_CHECK_ARG_). */
#define PVM_ARG_REGS_(T) 1
#define PVM_CHECK_ARG_(T) _Static_assert(sizeof(T) <= 8, "PolkaVM import/export arguments must fit in one register")

/* Registers needed by the return type: void -> 0, <= 8 bytes -> 1, <= 16 bytes -> 2 (a0/a1). */
#define PVM_IS_VOID_(T) __builtin_types_compatible_p(T, void)
/* T itself, or char for void, so that sizeof never sees void (no -Wpointer-arith warning). */
#define PVM_NONVOID_(T) __typeof__(__builtin_choose_expr(PVM_IS_VOID_(T), (char)0, ((T(*)(void))0)()))
#define PVM_RET_REGS_(T) __builtin_choose_expr(PVM_IS_VOID_(T), 0, (sizeof(PVM_NONVOID_(T)) + 7) / 8)

#define PVM_INPUT_REGS_(...) PVM_DISPATCH_(PVM_INPUT_REGS_, __VA_ARGS__)(__VA_ARGS__)
#define PVM_INPUT_REGS_0() 0
#define PVM_INPUT_REGS_1(A) PVM_ARG_REGS_(A)
#define PVM_INPUT_REGS_2(A, B) PVM_ARG_REGS_(A) + PVM_ARG_REGS_(B)
#define PVM_INPUT_REGS_3(A, B, C) PVM_INPUT_REGS_2(A, B) + PVM_ARG_REGS_(C)
#define PVM_INPUT_REGS_4(A, B, C, D) PVM_INPUT_REGS_3(A, B, C) + PVM_ARG_REGS_(D)
#define PVM_INPUT_REGS_5(A, B, C, D, E) PVM_INPUT_REGS_4(A, B, C, D) + PVM_ARG_REGS_(E)
#define PVM_INPUT_REGS_6(A, B, C, D, E, F) PVM_INPUT_REGS_5(A, B, C, D, E) + PVM_ARG_REGS_(F)
#define PVM_INPUT_REGS_MANY(...) 0

#define PVM_CHECK_ARGS_(...) PVM_DISPATCH_(PVM_CHECK_ARGS_, __VA_ARGS__)(__VA_ARGS__)
#define PVM_CHECK_ARGS_0()
#define PVM_CHECK_ARGS_1(A) PVM_CHECK_ARG_(A);
#define PVM_CHECK_ARGS_2(A, B) PVM_CHECK_ARGS_1(A) PVM_CHECK_ARG_(B);
#define PVM_CHECK_ARGS_3(A, B, C) PVM_CHECK_ARGS_2(A, B) PVM_CHECK_ARG_(C);
#define PVM_CHECK_ARGS_4(A, B, C, D) PVM_CHECK_ARGS_3(A, B, C) PVM_CHECK_ARG_(D);
#define PVM_CHECK_ARGS_5(A, B, C, D, E) PVM_CHECK_ARGS_4(A, B, C, D) PVM_CHECK_ARG_(E);
#define PVM_CHECK_ARGS_6(A, B, C, D, E, F) PVM_CHECK_ARGS_5(A, B, C, D, E) PVM_CHECK_ARG_(F);
#define PVM_CHECK_ARGS_MANY(...) _Static_assert(0, "PolkaVM imports/exports take at most 6 arguments (a0..a5)");

/* Parameter lists: `(void)`, `(A a0)`, `(A a0, B a1)`, ... */
#define PVM_PARAMS_(...) PVM_DISPATCH_(PVM_PARAMS_, __VA_ARGS__)(__VA_ARGS__)
#define PVM_PARAMS_0() void
#define PVM_PARAMS_1(A) A a0
#define PVM_PARAMS_2(A, B) A a0, B a1
#define PVM_PARAMS_3(A, B, C) A a0, B a1, C a2
#define PVM_PARAMS_4(A, B, C, D) A a0, B a1, C a2, D a3
#define PVM_PARAMS_5(A, B, C, D, E) A a0, B a1, C a2, D a3, E a4
#define PVM_PARAMS_6(A, B, C, D, E, F) A a0, B a1, C a2, D a3, E a4, F a5
#define PVM_PARAMS_MANY(...) __VA_ARGS__

/* Bare type lists for the export signature check: `void`, `A`, `A, B`, ... */
#define PVM_TYPES_(...) PVM_DISPATCH_(PVM_TYPES_, __VA_ARGS__)(__VA_ARGS__)
#define PVM_TYPES_0() void
#define PVM_TYPES_1(...) __VA_ARGS__
#define PVM_TYPES_2(...) __VA_ARGS__
#define PVM_TYPES_3(...) __VA_ARGS__
#define PVM_TYPES_4(...) __VA_ARGS__
#define PVM_TYPES_5(...) __VA_ARGS__
#define PVM_TYPES_6(...) __VA_ARGS__
#define PVM_TYPES_MANY(...) __VA_ARGS__

/*
 * Import stub, as polkavm-linker expects it (the `.word` form accepted by resolc 0.3.0's embedded linker):
 *   +0   .word 0x0000000b   ECALLI: opcode custom-0 (0b0001011), funct3 0, rd = rs1 = rs2 = zero, funct7 0
 *   +4   .quad &metadata    8-byte pointer slot carrying an R_RISCV_64 relocation to the metadata record; the
 *                           linker skips these 8 bytes instead of decoding them as instructions
 *   +12  ret                the host returns results in a0/a1
 * The stub lives in `.text.polkavm_import.<name>` (a code section, kept or dropped by --gc-sections with its
 * callers) and the metadata in `.polkavm_metadata`.
 */
#define PVM_IMPORT_STUB_(ret, name, metadata, ...)                                                              \
    static ret __attribute__((naked, noinline, unused, section(".text.polkavm_import." #name)))              \
    name(PVM_PARAMS_(__VA_ARGS__)) {                                                                           \
        __asm__ volatile(".word 0x0000000b\n"                                                                 \
                         ".quad %[meta]\n"                                                                    \
                         "ret\n"                                                                              \
                         :                                                                                    \
                         : [meta] "i"(&metadata)                                                              \
                         : "memory");                                                                         \
    }

#define PVM_IMPORT(ret, name, ...)                                                                              \
    PVM_CHECK_ARGS_(__VA_ARGS__)                                                                               \
    _Static_assert(PVM_RET_REGS_(ret) <= 2, "PolkaVM imports return at most 2 registers");                   \
    static struct pvm_extern_metadata_v1 PVM_JOIN_(name, __pvm_import_metadata)                               \
        __attribute__((section(".polkavm_metadata"), unused)) = {                                             \
            1, 0, sizeof(#name) - 1, #name, PVM_INPUT_REGS_(__VA_ARGS__), PVM_RET_REGS_(ret)};                \
    PVM_IMPORT_STUB_(ret, name, PVM_JOIN_(name, __pvm_import_metadata), __VA_ARGS__)

#define PVM_IMPORT_WITH_INDEX(index_, ret, name, ...)                                                           \
    PVM_CHECK_ARGS_(__VA_ARGS__)                                                                               \
    _Static_assert(PVM_RET_REGS_(ret) <= 2, "PolkaVM imports return at most 2 registers");                   \
    static struct pvm_extern_metadata_v2 PVM_JOIN_(name, __pvm_import_metadata)                               \
        __attribute__((section(".polkavm_metadata"), unused)) = {                                             \
            2, 0, sizeof(#name) - 1, #name, PVM_INPUT_REGS_(__VA_ARGS__), PVM_RET_REGS_(ret), 1, (index_)};   \
    PVM_IMPORT_STUB_(ret, name, PVM_JOIN_(name, __pvm_import_metadata), __VA_ARGS__)

/*
 * Export record in `.polkavm_exports` (flags "Ra": SHF_GNU_RETAIN | SHF_ALLOC, type SHT_NOTE, as polkavm's header):
 *   +0   u8   version        1 (the only version the linker accepts)
 *   +1   ptr  metadata       8 bytes, R_RISCV_64 to the export's v1 metadata record (same layout as imports)
 *   +9   ptr  function       8 bytes, R_RISCV_64 to the function's entry point
 * Records are packed back to back (17 bytes each).  The pointers are read only through their relocations.
 * `name` must already be declared with the matching prototype `ret name(argtypes...)` (checked at compile time).
 */
#define PVM_EXPORT_RECORD_(name, metadata, dummy)                                                               \
    static void __attribute__((naked, used)) dummy(void) {                                                     \
        __asm__ volatile(".pushsection .polkavm_exports,\"Ra\",@note\n"                                      \
                         ".byte 1\n"                                                                          \
                         ".quad %[meta]\n"                                                                    \
                         ".quad %[func]\n"                                                                    \
                         ".popsection\n"                                                                      \
                         :                                                                                    \
                         : [meta] "i"(&metadata), [func] "i"(name)                                            \
                         : "memory");                                                                         \
    }

#define PVM_EXPORT(ret, name, ...)                                                                              \
    PVM_CHECK_ARGS_(__VA_ARGS__)                                                                               \
    _Static_assert(PVM_RET_REGS_(ret) <= 2, "PolkaVM exports return at most 2 registers");                   \
    _Static_assert(__builtin_types_compatible_p(__typeof__(name), ret(PVM_TYPES_(__VA_ARGS__))),             \
                   "PVM_EXPORT: prototype of '" #name "' does not match");                                   \
    static struct pvm_extern_metadata_v1 PVM_JOIN_(name, __pvm_export_metadata)                               \
        __attribute__((section(".polkavm_metadata"))) = {                                                     \
            1, 0, sizeof(#name) - 1, #name, PVM_INPUT_REGS_(__VA_ARGS__), PVM_RET_REGS_(ret)};                \
    PVM_EXPORT_RECORD_(name, PVM_JOIN_(name, __pvm_export_metadata), PVM_UNIQUE_(pvm_export_record_))

/* `.polkavm_min_stack_size`: u32 values; the linker takes the maximum (rounded up to 4 KiB). */
#define PVM_MIN_STACK_SIZE(bytes)                                                                               \
    static void __attribute__((naked, used)) PVM_UNIQUE_(pvm_min_stack_size_)(void) {                          \
        __asm__ volatile(".pushsection .polkavm_min_stack_size,\"\",@progbits\n"                              \
                         ".word %[value]\n"                                                                   \
                         ".popsection\n"                                                                      \
                         :                                                                                    \
                         : [value] "i"(bytes));                                                               \
    }

#endif /* PVMKIT_GUEST_H_ */
