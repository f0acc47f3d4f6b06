/*
 * kernel/kern/boot_script.ts — models kern/boot_script.[ch] (the boot
 * script of GNU Mach, Shantanu Goel's parser), the ramdisk-create builtin
 * that Debian's 50_initrd.patch adds, and bootstrap_create() of
 * kern/bootstrap.c, as they stood in February 2014 (upstream 8d03c760;
 * Debian 2:1.4-5 is the same code plus 50_initrd.patch).
 *
 * Layers, as in Mach:
 *
 *   parser/executor  boot_script_parse_line, boot_script_exec,
 *                    boot_script_set_variable, boot_script_define_function,
 *                    boot_script_error_string. Mach keeps its command list
 *                    and symbol table in statics; here they live in a
 *                    BootScript object (boot_script_create), passed first.
 *   BootScriptHost   what boot_script.h says "the user must define":
 *                    boot_script_malloc/free, boot_script_exec_cmd,
 *                    boot_script_task_create, … (kern/bootstrap.c in Mach).
 *   bootstrap_run    bootstrap_create(): builds a BootScriptHost on top of
 *                    the kernel's BootScriptHooks (task_create, task_resume,
 *                    ramdisk_create, printf, …), so this module stays pure.
 *
 * Syntax, as Mach's parser reads a line (one multiboot module string):
 *
 *   - Leading blanks (' ', '\t') are skipped; a line starting with '#' or
 *     holding no word is ignored (no command, no error).
 *   - The first word (ended by NUL, ' ', '\t' or '\n') is the path.
 *   - Arguments are split on ' ' and '\t'. A '\n' ends the line only where
 *     an argument would start; a '\n' that ends a word (path or text) is
 *     consumed like a blank and parsing continues after it.
 *   - There is no quoting and no escaping: quotes are ordinary characters.
 *   - `${name}` is a variable reference. Alone, it is an argument of its
 *     own; after text (`--port=${host-port}`) the value is appended to the
 *     text. A text argument ends at "${" but not at "$(" (so `a$(f)` is
 *     plain text), and `${x}y` gives two arguments, "<x>" and "y".
 *   - `$(func)` calls a function; `$(var=func)` calls it and binds the
 *     result to var; `$(a=b)` binds a to b's value (or, if b is undefined
 *     yet, makes a an alias resolved at exec time). `$(…)` never yields an
 *     argument. Functions take no arguments: Mach scans the name up to
 *     '=', ')', '\n' or NUL, so `$(task-create x)` names an (unused)
 *     variable "task-create x" and does nothing.
 *   - A defined variable's value is copied when the line is parsed; an
 *     undefined one is entered in the symbol table and referenced, and the
 *     reference is resolved in boot_script_exec(). That is how the d-i
 *     ext2fs line can use ${exec-task} before the exec line's
 *     $(exec-task=task-create) defines it.
 *   - Builtins (Mach's table, then Debian's): task-create (VAL_TASK, runs
 *     while parsing), task-resume and prompt-task-resume (run at exec time,
 *     after every command was exec'd), ramdisk-create (VAL_STR "rd<N>",
 *     runs while parsing). host-port and device-port are not builtins: they
 *     are VAL_PORT variables set by bootstrap_create().
 *
 * Strings are C strings of one byte per character: a line ends at its first
 * NUL. One difference is forced: when the path is the last word, Mach steps
 * one byte past the terminating NUL and reads whatever follows in memory;
 * the model reads the end of the line there.
 */
import { assert, panic } from "./debug.ts";
import { KERN_INVALID_ARGUMENT, KERN_SUCCESS } from "./kern_return.ts";
import { hex_digits, printf_x } from "../../util/hex.ts";

// ---------------------------------------------------------------------------
// boot_script.h: error codes and value types

/* Error codes of boot_script_parse_line() and boot_script_exec(). */
export const BOOT_SCRIPT_NOMEM = 1;
export const BOOT_SCRIPT_SYNTAX_ERROR = 2;
export const BOOT_SCRIPT_INVALID_ASG = 3;
export const BOOT_SCRIPT_MACH_ERROR = 4;
export const BOOT_SCRIPT_UNDEF_SYM = 5;
export const BOOT_SCRIPT_EXEC_ERROR = 6;
export const BOOT_SCRIPT_INVALID_SYM = 7;
export const BOOT_SCRIPT_BAD_TYPE = 8;

/* Value types (boot_script.h), and the two that boot_script.c keeps private. */
export const VAL_NONE = 0; /* undefined; for a function: runs at exec time */
export const VAL_STR = 1;
export const VAL_PORT = 2;
export const VAL_TASK = 3;
export const VAL_SYM = 10; /* reference to a symbol, resolved at exec time */
const VAL_FUNC = 11;

/** A port (send right) the kernel hands to the script: an opaque handle. */
export type BootScriptPort = number;
/** A task created by the kernel's task_create hook: opaque to the script. */
export type BootScriptTask = object;

/** What a symbol or argument holds, according to its `type`. */
export type BootScriptVal =
    | string /* VAL_STR */
    | BootScriptPort /* VAL_PORT */
    | BootScriptTask /* VAL_TASK */
    | BootScriptSym /* VAL_SYM */
    | BootScriptFunction /* VAL_FUNC */
    | null;

/** Result of a script function: a BOOT_SCRIPT_* error (0 = success) and the value. */
export interface BootScriptFuncResult {
    error: number;
    val?: BootScriptVal;
}

/**
 * A script function (Mach: `int (*)(struct cmd *, long *val)`). Run-on-exec
 * functions get no value slot in Mach; their `val` is ignored here.
 */
export type BootScriptFunction = (cmd: BootScriptCmd, bs: BootScript) => BootScriptFuncResult;

/** A multiboot module, the `hook` cookie of each command in bootstrap_create(). */
export interface BootScriptModule {
    /** The module's command line ("path args…"). */
    string: string;
    /** Physical [start, end) of the module's data. */
    start: number;
    end: number;
}

/** struct sym. */
export interface BootScriptSym {
    readonly name: string;
    type: number;
    val: BootScriptVal;
    /** For functions: the type of the value returned. */
    ret_type: number;
    /** For functions: run in boot_script_exec(), not while parsing. */
    run_on_exec: boolean;
    /** boot_script_malloc address (0 for the static builtins). */
    addr: number;
}

/** struct arg. `text` is null for a lone ${var}. */
export interface BootScriptArg {
    text: string | null;
    type: number;
    val: BootScriptVal;
    addr: number;
}

/** A growable pointer array of boot_script.c (add_list): slots allocated, address. */
interface PtrList<T> {
    items: T[];
    alloc: number;
    addr: number;
}

/** struct cmd: one parsed line. */
export interface BootScriptCmd {
    /** The cookie given to boot_script_parse_line (the multiboot module). */
    hook: BootScriptModule | null;
    /** The first word of the line. */
    path: string;
    /** The task made by $(task-create) on this line, or null. */
    task: BootScriptTask | null;
    args: BootScriptArg[];
    /** Functions to run at exec time (task-resume, …), in line order. */
    exec_funcs: BootScriptSym[];
    /** Model only: the argument vector built by boot_script_exec(), once built. */
    argv: string[] | null;
    /** Allocation bookkeeping (struct cmd, args and exec_funcs arrays). */
    addr: number;
    args_list: PtrList<BootScriptArg>;
    exec_funcs_list: PtrList<BootScriptSym>;
}

/**
 * What boot_script.h requires of its user (GNU Mach: kern/bootstrap.c).
 * Return values are BOOT_SCRIPT_* codes, 0 for success, as in Mach.
 */
export interface BootScriptHost {
    /** boot_script_malloc (kalloc): an address, or null when out of memory. Default: never fails. */
    boot_script_malloc?(size: number): number | null;
    /** boot_script_free (kfree). */
    boot_script_free?(addr: number, size: number): void;
    /** Load cmd.path into task with argv; 0 on success. (Mach passes hook, argc, argv, strings.) */
    boot_script_exec_cmd(
        cmd: BootScriptCmd,
        task: BootScriptTask,
        path: string,
        argv: readonly string[],
    ): number;
    /** task_create; sets cmd.task. */
    boot_script_task_create(cmd: BootScriptCmd): number;
    boot_script_task_resume(cmd: BootScriptCmd): number;
    boot_script_prompt_task_resume(cmd: BootScriptCmd): number;
    /** Insert a send right for port into cmd.task; returns the name. */
    boot_script_insert_right(
        cmd: BootScriptCmd,
        port: BootScriptPort,
    ): { error: number; name: number };
    /** Insert a send right for task's port into cmd.task; returns the name. */
    boot_script_insert_task_port(
        cmd: BootScriptCmd,
        task: BootScriptTask,
    ): { error: number; name: number };
    /** Release a command's task; terminate it if aborting. */
    boot_script_free_task(task: BootScriptTask, aborting: boolean): void;
    /** Debian 50_initrd: make a ramdisk of the command's module; returns its name ("rd0"). */
    boot_script_ramdisk_create(cmd: BootScriptCmd): { error: number; name: string | null };
}

/** The parser's state: Mach's statics `cmds` and `symtab` of boot_script.c. */
export interface BootScript {
    host: BootScriptHost;
    cmds: PtrList<BootScriptCmd>;
    symtab: PtrList<BootScriptSym>;
    /** Bump pointer of the default allocator (host without boot_script_malloc). */
    fake_brk: number;
}

/* i386 (ILP32) sizes of the structures boot_script.c allocates. */
const SIZEOF_STRUCT_CMD = 36;
const SIZEOF_STRUCT_ARG = 12;
export const SIZEOF_STRUCT_SYM = 20;
const SIZEOF_PTR = 4;

// ---------------------------------------------------------------------------
// Allocation (boot_script_malloc / boot_script_free)

/** boot_script_malloc: the host's allocator, or a bump pointer that never fails. */
export function boot_script_malloc(bs: BootScript, size: number): number | null {
    if (bs.host.boot_script_malloc) return bs.host.boot_script_malloc(size);
    const addr = bs.fake_brk;
    bs.fake_brk += (size + 7) & ~7;
    return addr;
}

/** boot_script_free. Like kfree(), a null pointer or zero size does nothing. */
export function boot_script_free(bs: BootScript, addr: number, size: number): void {
    if (addr === 0 || size === 0) return;
    bs.host.boot_script_free?.(addr, size);
}

function list_empty<T>(): PtrList<T> {
    return { items: [], alloc: 0, addr: 0 };
}

/** add_list: append, growing the array by `incr` slots. Returns 0, or 1 when out of memory. */
function add_list<T>(bs: BootScript, list: PtrList<T>, item: T, incr: number): number {
    if (list.items.length === list.alloc) {
        const addr = boot_script_malloc(bs, (list.alloc + incr) * SIZEOF_PTR);
        if (addr === null) return 1;
        if (list.addr !== 0) boot_script_free(bs, list.addr, list.alloc * SIZEOF_PTR);
        list.alloc += incr;
        list.addr = addr;
    }
    list.items.push(item);
    return 0;
}

function list_free<T>(bs: BootScript, list: PtrList<T>): void {
    if (list.addr !== 0) boot_script_free(bs, list.addr, list.alloc * SIZEOF_PTR);
    list.items = [];
    list.alloc = 0;
    list.addr = 0;
}

// ---------------------------------------------------------------------------
// Builtins

function create_task(cmd: BootScriptCmd, bs: BootScript): BootScriptFuncResult {
    const error = bs.host.boot_script_task_create(cmd);
    return { error, val: cmd.task };
}

function resume_task(cmd: BootScriptCmd, bs: BootScript): BootScriptFuncResult {
    return { error: bs.host.boot_script_task_resume(cmd) };
}

function prompt_resume_task(cmd: BootScriptCmd, bs: BootScript): BootScriptFuncResult {
    return { error: bs.host.boot_script_prompt_task_resume(cmd) };
}

/* Debian 50_initrd.patch. */
function ramdisk_create(cmd: BootScriptCmd, bs: BootScript): BootScriptFuncResult {
    const r = bs.host.boot_script_ramdisk_create(cmd);
    return { error: r.error, val: r.name };
}

function builtin(
    name: string,
    func: BootScriptFunction,
    ret_type: number,
    run_on_exec: boolean,
): BootScriptSym {
    return Object.freeze({ name, type: VAL_FUNC, val: func, ret_type, run_on_exec, addr: 0 });
}

/** builtin_symbols[], in Mach's order; ramdisk-create is Debian's addition. */
const builtin_symbols: readonly BootScriptSym[] = Object.freeze([
    builtin("task-create", create_task, VAL_TASK, false),
    builtin("task-resume", resume_task, VAL_NONE, true),
    builtin("prompt-task-resume", prompt_resume_task, VAL_NONE, true),
    builtin("ramdisk-create", ramdisk_create, VAL_STR, false),
]);

// ---------------------------------------------------------------------------
// State, symbols, cleanup

/** A fresh parser: empty command list and symbol table (Mach's statics at boot). */
export function boot_script_create(host: BootScriptHost): BootScript {
    return { host, cmds: list_empty(), symtab: list_empty(), fake_brk: 0x1000 };
}

function free_cmd(bs: BootScript, cmd: BootScriptCmd, aborting: boolean): void {
    if (cmd.task !== null) bs.host.boot_script_free_task(cmd.task, aborting);
    if (cmd.args_list.addr !== 0) {
        for (const arg of cmd.args_list.items) boot_script_free(bs, arg.addr, SIZEOF_STRUCT_ARG);
        list_free(bs, cmd.args_list);
    }
    list_free(bs, cmd.exec_funcs_list);
    boot_script_free(bs, cmd.addr, SIZEOF_STRUCT_CMD);
}

/** Mach's static cleanup(): drop every command (terminating tasks if aborting) and the symbol table. */
function cleanup(bs: BootScript, aborting: boolean): void {
    for (const cmd of bs.cmds.items) free_cmd(bs, cmd, aborting);
    list_free(bs, bs.cmds);
    for (const sym of bs.symtab.items) boot_script_free(bs, sym.addr, SIZEOF_STRUCT_SYM);
    list_free(bs, bs.symtab);
}

function add_arg(
    bs: BootScript,
    cmd: BootScriptCmd,
    text: string | null,
    type: number,
    val: BootScriptVal,
): BootScriptArg | null {
    const addr = boot_script_malloc(bs, SIZEOF_STRUCT_ARG);
    if (addr === null) return null;
    const arg: BootScriptArg = { text, type, val, addr };
    if (add_list(bs, cmd.args_list, arg, 5)) {
        boot_script_free(bs, addr, SIZEOF_STRUCT_ARG);
        return null;
    }
    return arg;
}

/** The first symbol-table entry of that name (later duplicates are shadowed). */
export function sym_lookup(bs: BootScript, name: string): BootScriptSym | null {
    for (const sym of bs.symtab.items) if (sym.name === name) return sym;
    return null;
}

/** Append a new, undefined (VAL_NONE) entry, even if the name exists. */
function sym_enter(bs: BootScript, name: string): BootScriptSym | null {
    const addr = boot_script_malloc(bs, SIZEOF_STRUCT_SYM);
    if (addr === null) return null;
    const sym: BootScriptSym = {
        name,
        type: VAL_NONE,
        val: null,
        ret_type: VAL_NONE,
        run_on_exec: false,
        addr,
    };
    if (add_list(bs, bs.symtab, sym, 20)) {
        boot_script_free(bs, addr, SIZEOF_STRUCT_SYM);
        return null;
    }
    return sym;
}

// ---------------------------------------------------------------------------
// Parsing

/**
 * boot_script_parse_line: parse one line and append it to the command list.
 * Functions that do not run on exec (task-create, ramdisk-create) are called
 * now. Returns 0 or a BOOT_SCRIPT_* code. On most errors Mach frees the line
 * and everything parsed so far (terminating the tasks) and empties the
 * symbol table; BOOT_SCRIPT_INVALID_SYM (`${function}`) returns at once,
 * dropping the line and keeping the rest.
 */
export function boot_script_parse_line(
    bs: BootScript,
    hook: BootScriptModule | null,
    cmdline: string,
): number {
    const nul = cmdline.indexOf("\0");
    const line = nul < 0 ? cmdline : cmdline.slice(0, nul);
    /* The character at i; "" stands for the terminating NUL (and beyond). */
    const ch = (i: number): string => line[i] ?? "";
    const blank = (c: string): boolean => c === " " || c === "\t";

    let p = 0;
    while (blank(ch(p))) p++;
    if (ch(p) === "#") return 0;

    let q = p;
    while (ch(q) !== "" && !blank(ch(q)) && ch(q) !== "\n") q++;
    if (p === q) return 0;

    const cmd_addr = boot_script_malloc(bs, SIZEOF_STRUCT_CMD);
    if (cmd_addr === null) return BOOT_SCRIPT_NOMEM;
    const cmd: BootScriptCmd = {
        hook,
        path: line.slice(p, q),
        task: null,
        args: [],
        exec_funcs: [],
        argv: null,
        addr: cmd_addr,
        args_list: list_empty(),
        exec_funcs_list: list_empty(),
    };
    /* The arrays are the lists' own: cmd.args is what boot_script_exec walks. */
    cmd.args = cmd.args_list.items;
    cmd.exec_funcs = cmd.exec_funcs_list.items;
    p = q + 1;

    const bad = (error: number): number => {
        free_cmd(bs, cmd, true);
        cleanup(bs, true);
        return error;
    };

    let arg: BootScriptArg | null = null;
    for (;;) {
        if (arg === null) {
            while (blank(ch(p))) p++;
            if (ch(p) === "" || ch(p) === "\n") {
                if (add_list(bs, bs.cmds, cmd, 10)) return bad(BOOT_SCRIPT_NOMEM);
                return 0;
            }
        }

        if (arg !== null || (ch(p) === "$" && (ch(p + 1) === "{" || ch(p + 1) === "("))) {
            /* ${name} or $(name[=name…]); with arg set, "${" follows some text. */
            const end_char = ch(p + 1) === "{" ? "}" : ")";
            let sym: BootScriptSym | null = null;

            for (p += 2; ;) {
                q = p;
                while (ch(q) !== "" && ch(q) !== "\n" && ch(q) !== end_char && ch(q) !== "=") q++;
                if (
                    p === q ||
                    ch(q) === "" ||
                    ch(q) === "\n" ||
                    (end_char === "}" && ch(q) !== "}")
                )
                    return bad(BOOT_SCRIPT_SYNTAX_ERROR);
                const c = ch(q);
                const name = line.slice(p, q);

                let s = builtin_symbols.find((b) => b.name === name) ?? sym_lookup(bs, name);
                if (s === null) {
                    s = sym_enter(bs, name);
                    if (s === null) return bad(BOOT_SCRIPT_NOMEM);
                }

                /* ${…} takes variables only. Mach returns here without cleaning up. */
                if (end_char === "}" && s.type === VAL_FUNC) return BOOT_SCRIPT_INVALID_SYM;
                if (c === "=" && s.type === VAL_FUNC) return bad(BOOT_SCRIPT_INVALID_ASG);

                let type: number;
                let val: BootScriptVal = null;
                let assign = true;
                if (s.type === VAL_FUNC) {
                    if (!s.run_on_exec) {
                        const r = as_func(s)(cmd, bs);
                        if (r.error) return bad(r.error);
                        type = s.ret_type;
                        val = r.val ?? null;
                    } else {
                        if (add_list(bs, cmd.exec_funcs_list, s, 5)) return bad(BOOT_SCRIPT_NOMEM);
                        type = VAL_NONE;
                        assign = false;
                    }
                } else if (s.type === VAL_NONE) {
                    /* Not defined (yet): refer to the symbol, resolve at exec time. */
                    type = VAL_SYM;
                    val = s;
                } else {
                    type = s.type;
                    val = s.val;
                }

                if (assign) {
                    if (sym !== null) {
                        sym.type = type;
                        sym.val = val;
                    } else if (arg !== null) {
                        arg.type = type;
                        arg.val = val;
                    }
                }

                p = q + 1;
                if (c === end_char) {
                    /* A ${var} standing by itself becomes an argument of its own. */
                    if (arg === null && end_char === "}") {
                        if (add_arg(bs, cmd, null, type, val) === null)
                            return bad(BOOT_SCRIPT_NOMEM);
                    }
                    arg = null;
                    break;
                }
                if (s.type !== VAL_FUNC) sym = s;
            }
        } else {
            /* Plain text, up to a blank, a newline, the end, or "${". */
            for (q = p; ; q++) {
                const c = ch(q);
                if (c === "" || blank(c) || c === "\n") break;
                if (c === "$" && ch(q + 1) === "{") break;
            }
            const c = ch(q);
            arg = add_arg(bs, cmd, line.slice(p, q), VAL_NONE, null);
            if (arg === null) return bad(BOOT_SCRIPT_NOMEM);
            if (c === "$") {
                p = q;
            } else {
                p = c !== "" ? q + 1 : q;
                arg = null;
            }
        }
    }
}

// ---------------------------------------------------------------------------
// Execution

function as_func(s: BootScriptSym): BootScriptFunction {
    assert(
        typeof s.val === "function",
        () => `boot script function ${s.name} has a function value`,
    );
    return s.val as BootScriptFunction;
}

/** A growable command-line buffer, for the allocation trace of CHECK_CMDLINE_LEN. */
interface CmdlineBuf {
    addr: number;
    alloc: number;
    index: number;
}

/**
 * boot_script_exec: for every command that has a task, build its argument
 * vector (resolving variables, inserting send rights for ports and tasks)
 * and call boot_script_exec_cmd; then run every command's exec-time
 * functions (task-resume…), command by command. On success the command list
 * and symbol table are freed (tasks kept); on error they are freed with the
 * tasks terminated. Returns 0 or a BOOT_SCRIPT_* code.
 */
export function boot_script_exec(bs: BootScript): number {
    for (const cmd of bs.cmds.items) {
        if (cmd.task === null) continue;

        const buf: CmdlineBuf = {
            addr: 0,
            alloc: cmd.path.length + 1 + 100,
            index: cmd.path.length + 1,
        };
        const cmdline_addr = boot_script_malloc(bs, buf.alloc);
        if (cmdline_addr === null) {
            cleanup(bs, true);
            return BOOT_SCRIPT_NOMEM;
        }
        buf.addr = cmdline_addr;
        const argv_size = SIZEOF_PTR * (cmd.args.length + 2);
        const argv_addr = boot_script_malloc(bs, argv_size);
        if (argv_addr === null) {
            boot_script_free(bs, buf.addr, buf.alloc);
            cleanup(bs, true);
            return BOOT_SCRIPT_NOMEM;
        }

        const error = exec_one(bs, cmd, buf);

        boot_script_free(bs, buf.addr, buf.alloc);
        boot_script_free(bs, argv_addr, argv_size);
        if (error) {
            cleanup(bs, true);
            return error;
        }
    }

    for (const cmd of bs.cmds.items) {
        for (const sym of cmd.exec_funcs) {
            const r = as_func(sym)(cmd, bs);
            if (r.error) {
                cleanup(bs, true);
                return r.error;
            }
        }
    }

    cleanup(bs, false);
    return 0;
}

/** Mach's CHECK_CMDLINE_LEN: make room for len more bytes; false when out of memory. */
function check_cmdline_len(bs: BootScript, buf: CmdlineBuf, len: number): boolean {
    if (buf.alloc - buf.index >= len) return true;
    const alloc = buf.alloc + len - (buf.alloc - buf.index) + 100;
    const addr = boot_script_malloc(bs, alloc);
    if (addr === null) return false;
    boot_script_free(bs, buf.addr, buf.alloc);
    buf.addr = addr;
    buf.alloc = alloc;
    return true;
}

/** The body of boot_script_exec's first loop for one command; returns an error code or 0. */
function exec_one(bs: BootScript, cmd: BootScriptCmd, buf: CmdlineBuf): number {
    const task = cmd.task;
    assert(task !== null, "exec_one: command has a task");
    const argv: string[] = [cmd.path];

    for (const arg of cmd.args) {
        /* Text is copied; with no value the NUL comes with it. */
        if (arg.text !== null) {
            const len = arg.text.length + (arg.type === VAL_NONE ? 1 : 0);
            if (!check_cmdline_len(bs, buf, len)) return BOOT_SCRIPT_NOMEM;
            argv.push(arg.text);
            buf.index += len;
        }
        if (arg.type === VAL_NONE) continue;

        if (arg.type === VAL_SYM) {
            let sym = arg.val as BootScriptSym;
            const seen = new Set<BootScriptSym>();
            while (sym.type === VAL_SYM) {
                /* Mach follows the chain without a check and would spin here forever. */
                if (seen.has(sym))
                    panic(
                        `boot script: variable ${sym.name} refers to itself (GNU Mach loops forever here)`,
                    );
                seen.add(sym);
                sym = sym.val as BootScriptSym;
            }
            if (sym.type === VAL_NONE) return BOOT_SCRIPT_UNDEF_SYM;
            arg.type = sym.type;
            arg.val = sym.val;
        }

        let text: string;
        switch (arg.type) {
            case VAL_STR:
                assert(typeof arg.val === "string", "VAL_STR value is a string");
                text = arg.val;
                break;
            case VAL_TASK:
            case VAL_PORT: {
                const r =
                    arg.type === VAL_TASK
                        ? bs.host.boot_script_insert_task_port(cmd, arg.val as BootScriptTask)
                        : bs.host.boot_script_insert_right(cmd, arg.val as BootScriptPort);
                if (r.error) return r.error;
                text = String(r.name | 0);
                break;
            }
            default:
                return BOOT_SCRIPT_BAD_TYPE;
        }
        const len = text.length + 1;
        if (!check_cmdline_len(bs, buf, len)) return BOOT_SCRIPT_NOMEM;
        if (arg.text !== null) argv[argv.length - 1] += text;
        else argv.push(text);
        buf.index += len;
    }

    cmd.argv = argv;
    if (bs.host.boot_script_exec_cmd(cmd, task, cmd.path, argv)) return BOOT_SCRIPT_EXEC_ERROR;
    return 0;
}

// ---------------------------------------------------------------------------
// Variables, functions, error strings

/**
 * boot_script_set_variable: append a symbol NAME of TYPE with value VAL.
 * An existing NAME is not replaced: lookups find the first entry.
 * Returns 0, or 1 when out of memory.
 */
export function boot_script_set_variable(
    bs: BootScript,
    name: string,
    type: number,
    val: BootScriptVal,
): number {
    const sym = sym_enter(bs, name);
    if (sym === null) return 1;
    sym.type = type;
    sym.val = val;
    return 0;
}

/**
 * boot_script_define_function: a function NAME returning RET_TYPE; one
 * returning VAL_NONE runs at exec time, any other while parsing.
 * Returns 0, or 1 when out of memory.
 */
export function boot_script_define_function(
    bs: BootScript,
    name: string,
    ret_type: number,
    func: BootScriptFunction,
): number {
    const sym = sym_enter(bs, name);
    if (sym === null) return 1;
    sym.type = VAL_FUNC;
    sym.val = func;
    sym.ret_type = ret_type;
    sym.run_on_exec = ret_type === VAL_NONE;
    return 0;
}

/** boot_script_error_string: Mach's text for a BOOT_SCRIPT_* code; null (Mach: 0) for others. */
export function boot_script_error_string(err: number): string | null {
    switch (err) {
        case BOOT_SCRIPT_NOMEM:
            return "no memory";
        case BOOT_SCRIPT_SYNTAX_ERROR:
            return "syntax error";
        case BOOT_SCRIPT_INVALID_ASG:
            return "invalid variable in assignment";
        case BOOT_SCRIPT_MACH_ERROR:
            return "mach error";
        case BOOT_SCRIPT_UNDEF_SYM:
            return "undefined symbol";
        case BOOT_SCRIPT_EXEC_ERROR:
            return "exec error";
        case BOOT_SCRIPT_INVALID_SYM:
            return "invalid variable in expression";
        case BOOT_SCRIPT_BAD_TYPE:
            return "invalid value type";
    }
    return null;
}

/** "%s" of Mach's printf: a null string prints as nothing. */
function str(s: string | null): string {
    return s ?? "";
}

// ---------------------------------------------------------------------------
// bootstrap_create() (kern/bootstrap.c)

/**
 * What the kernel provides to bootstrap_run. kern_return values are
 * KERN_* codes (kern_return.ts).
 */
export interface BootScriptHooks {
    /** task_create(TASK_NULL, FALSE, &task): the kernel builds the task (map, pmap…). */
    task_create(cmd: BootScriptCmd): { kr: number; task?: BootScriptTask };
    /** task_resume(task). */
    task_resume(task: BootScriptTask): number;
    /** task_terminate(task): tasks of a boot script that failed. Optional. */
    task_terminate?(task: BootScriptTask): number;
    /**
     * Debian's ramdisk_create(mod_end − mod_start, phystokv(mod_start), &no):
     * cmd.hook is the module. Prints its own "rd%d: %lu bytes @%p\n".
     * kr != KERN_SUCCESS fails the line with "mach error".
     */
    ramdisk_create(cmd: BootScriptCmd): { kr: number; rd?: number };
    /**
     * user_bootstrap(): exec_load the module into task, build the stack with
     * argv and suspend the task. Returns exec_load's error code, 0 for
     * success; anything else panics as Mach does. Absent: loading is a no-op.
     */
    exec_task?(cmd: BootScriptCmd, task: BootScriptTask, argv: readonly string[]): number;
    /**
     * task_insert_send_right(task, right): the lowest free name from 1.
     * Absent: names are counted per task, 1, 2, 3…, and a right already in
     * the task keeps its name (as ipc_right_reverse makes Mach do).
     */
    task_insert_send_right?(task: BootScriptTask, right: BootScriptPort | BootScriptTask): number;
    /** prompt-task-resume: safe_gets() waiting for return. Absent: returns at once. */
    prompt?(cmd: BootScriptCmd): void;
    /** kalloc/kfree for boot_script_malloc/free. Absent: allocation never fails. */
    kalloc?(size: number): number | null;
    kfree?(addr: number, size: number): void;
    /** vm_page_create(mod_start, mod_end) for every module, the last step. */
    vm_page_create?(start: number, end: number): void;
    /** Console output: one call per Mach printf. */
    printf(s: string): void;
}

/** bootstrap_create()'s variables. The ports are handles of the caller's choosing. */
export interface BootstrapVars {
    /** ipc_port_make_send(realhost.host_priv_self). */
    "host-port": BootScriptPort;
    /** ipc_port_make_send(master_device_port). */
    "device-port": BootScriptPort;
    /** kernel_cmdline: the whole multiboot command line. */
    "kernel-command-line": string;
    /**
     * Not in Mach: any other key is set after Mach's variables (numbers as
     * VAL_PORT, strings as VAL_STR); Mach's own variables win on lookup.
     */
    readonly [name: string]: number | string;
}

export interface BootstrapLineResult {
    /** Module index, as printed in "module %d". */
    module: number;
    string: string;
    /** boot_script_parse_line's result. */
    error: number;
    /** The parsed command (null: comment, empty line, or an error). */
    cmd: BootScriptCmd | null;
}

export interface BootstrapResult {
    /** mods_count == 1 with no arguments: bootstrap_exec_compat() (not modelled further). */
    compat: boolean;
    lines: BootstrapLineResult[];
    /** Every task created by task-create, in creation order. */
    tasks: { module: number; path: string; task: BootScriptTask }[];
    /** Every ramdisk created by ramdisk-create. */
    ramdisks: { module: number; rd: number; name: string }[];
    /** Every boot script variable bootstrap_create() set, in order (host-port, …, FOO=BAR words). */
    variables: { name: string; type: number; val: BootScriptVal }[];
}

/** RAMDISK_NAMESZ of device/ramdisk.h: sizeof "rd" + sizeof (int) * 3 + 1. */
const RAMDISK_NAMESZ = 3 + 4 * 3 + 1;

/**
 * get_compat_strings(): the "-flags" word made of every "-x" word of the
 * command line ("-x" if none), and root=… with /dev/ removed ("UNKNOWN" if
 * none).
 */
export function get_compat_strings(kernel_cmdline: string): { flags: string; root: string } {
    let flags = "-";
    let root = "UNKNOWN";
    /* Characters above ' ' as i386's signed char sees them: bytes ≥ 0x80 are negative. */
    const word = (c: string | undefined): boolean => c !== undefined && c > " " && c < "\x80";
    let ip = 0;
    const s = kernel_cmdline.includes("\0")
        ? kernel_cmdline.slice(0, kernel_cmdline.indexOf("\0"))
        : kernel_cmdline;
    while (ip < s.length) {
        const c = s[ip];
        if (c === " ") {
            ip++;
        } else if (c === "-") {
            ip++;
            while (word(s[ip])) flags += s[ip++];
        } else if (s.startsWith("root=", ip)) {
            ip += 5;
            if (s.startsWith("/dev/", ip)) ip += 5;
            root = "";
            while (word(s[ip])) root += s[ip++];
        } else {
            const from = ip;
            while (word(s[ip])) ip++;
            /* Only ' ' is skipped between words: Mach spins forever on any other byte ≤ ' ' or ≥ 0x80. */
            if (ip === from) {
                panic(
                    `get_compat_strings: byte ${hex_digits(s.charCodeAt(ip) & 0xff, 2)} at offset ${ip} ` +
                        "of the kernel command line (GNU Mach loops forever here)",
                );
            }
        }
    }
    if (flags === "-") flags += "x";
    return { flags, root };
}

/** Module strings as Mach's compat test sees them: is there anything after the first ' '? */
function compat_mode(modules: readonly BootScriptModule[]): boolean {
    const first = modules[0];
    if (modules.length !== 1 || first === undefined) return false;
    const s = first.string.split("\0")[0] ?? "";
    const sp = s.indexOf(" ");
    if (sp < 0) return true;
    let p = sp + 1;
    while (s[p] === " " || s[p] === "\n") p++;
    return p >= s.length;
}

/**
 * The BootScriptHost of kern/bootstrap.c over the kernel's hooks. `record`
 * receives each task and ramdisk created, with the module index being parsed.
 */
function bootstrap_script_host(
    hooks: BootScriptHooks,
    record?: {
        task?(cmd: BootScriptCmd, task: BootScriptTask): void;
        ramdisk?(cmd: BootScriptCmd, rd: number, name: string): void;
    },
): BootScriptHost {
    const names = new Map<BootScriptTask, Map<BootScriptPort | BootScriptTask, number>>();
    const insert = (
        task: BootScriptTask | null,
        right: BootScriptPort | BootScriptTask,
    ): number => {
        /* Mach inserts into cmd->task; a command without a task is never exec'd. */
        assert(task !== null, "task_insert_send_right: command has a task");
        if (hooks.task_insert_send_right) return hooks.task_insert_send_right(task, right);
        let space = names.get(task);
        if (space === undefined) {
            space = new Map();
            names.set(task, space);
        }
        let name = space.get(right);
        if (name === undefined) {
            name = space.size + 1;
            space.set(right, name);
        }
        return name;
    };

    const task_resume = (cmd: BootScriptCmd): number => {
        const rc = cmd.task === null ? KERN_INVALID_ARGUMENT : hooks.task_resume(cmd.task);
        if (rc) {
            hooks.printf(`boot_script_task_resume failed with ${printf_x(rc)}\n`);
            return BOOT_SCRIPT_MACH_ERROR;
        }
        hooks.printf(`\nstart ${cmd.path}: `);
        return 0;
    };

    const host: BootScriptHost = {
        boot_script_exec_cmd(cmd, task, _path, argv) {
            const err = hooks.exec_task ? hooks.exec_task(cmd, task, argv) : 0;
            if (err)
                panic(`Cannot load user executable module (error code ${err}): ${argv[0] ?? ""}`);
            hooks.printf("task loaded:");
            for (const av of argv) hooks.printf(` ${av}`);
            hooks.printf("\n");
            return 0;
        },
        boot_script_task_create(cmd) {
            const r = hooks.task_create(cmd);
            if (r.kr !== KERN_SUCCESS) {
                hooks.printf(`boot_script_task_create failed with ${printf_x(r.kr)}\n`);
                return BOOT_SCRIPT_MACH_ERROR;
            }
            assert(r.task !== undefined, "task_create hook returned a task with KERN_SUCCESS");
            cmd.task = r.task;
            record?.task?.(cmd, r.task);
            return 0;
        },
        boot_script_task_resume: task_resume,
        boot_script_prompt_task_resume(cmd) {
            hooks.printf(`Hit return to resume ${cmd.path}...`);
            hooks.prompt?.(cmd);
            return task_resume(cmd);
        },
        boot_script_insert_right(cmd, port) {
            return { error: 0, name: insert(cmd.task, port) };
        },
        boot_script_insert_task_port(cmd, task) {
            return { error: 0, name: insert(cmd.task, task) };
        },
        boot_script_free_task(task, aborting) {
            if (aborting) hooks.task_terminate?.(task);
        },
        boot_script_ramdisk_create(cmd) {
            assert(cmd.hook !== null, "ramdisk-create: the command has its module");
            const r = hooks.ramdisk_create(cmd);
            if (r.kr !== KERN_SUCCESS) return { error: BOOT_SCRIPT_MACH_ERROR, name: null };
            assert(r.rd !== undefined, "ramdisk_create hook returned a number with KERN_SUCCESS");
            /* The name buffer is never freed; Mach does not check this allocation. */
            const name_addr = host.boot_script_malloc?.(RAMDISK_NAMESZ) ?? null;
            assert(
                name_addr !== null,
                "boot_script_ramdisk_create: boot_script_malloc failed (GNU Mach writes through NULL)",
            );
            const name = `rd${r.rd}`;
            record?.ramdisk?.(cmd, r.rd, name);
            return { error: 0, name };
        },
    };
    let brk = 0x1000;
    host.boot_script_malloc = hooks.kalloc
        ? (size) => hooks.kalloc?.(size) ?? null
        : (size) => {
              const addr = brk;
              brk += (size + 7) & ~7;
              return addr;
          };
    if (hooks.kfree) host.boot_script_free = (addr, size) => hooks.kfree?.(addr, size);
    return host;
}

/**
 * bootstrap_create(): set the boot script variables, parse one line per
 * multiboot module (running task-create and ramdisk-create as it goes),
 * then boot_script_exec(), and hand the module pages to the VM. Every
 * message goes to hooks.printf; Mach's panics are KernelPanic.
 */
export function bootstrap_run(
    modules: readonly BootScriptModule[],
    vars: BootstrapVars,
    hooks: BootScriptHooks,
): BootstrapResult {
    const result: BootstrapResult = {
        compat: false,
        lines: [],
        tasks: [],
        ramdisks: [],
        variables: [],
    };
    if (modules.length === 0) panic("No bootstrap code loaded with the kernel!");

    let current = -1;
    const host = bootstrap_script_host(hooks, {
        task: (cmd, task) => {
            result.tasks.push({ module: current, path: cmd.path, task });
        },
        ramdisk: (_cmd, rd, name) => {
            result.ramdisks.push({ module: current, rd, name });
        },
    });
    const bs = boot_script_create(host);
    const first = modules[0];

    if (compat_mode(modules) && first !== undefined) {
        result.compat = true;
        hooks.printf(`Loading single multiboot module in compat mode: ${first.string}\n`);
        /* bootstrap_exec_compat(): the bootstrap task of old serverboot; not modelled. */
    } else {
        const set = (name: string, type: number, val: BootScriptVal, msg: string): void => {
            const losers = boot_script_set_variable(bs, name, type, val);
            if (losers) panic(`${msg}: ${str(boot_script_error_string(losers))}`);
            result.variables.push({ name, type, val });
        };
        const kernel_cmdline = vars["kernel-command-line"];
        set("host-port", VAL_PORT, vars["host-port"], "cannot set boot-script variable host-port");
        set(
            "device-port",
            VAL_PORT,
            vars["device-port"],
            "cannot set boot-script variable device-port",
        );
        set(
            "kernel-command-line",
            VAL_STR,
            kernel_cmdline,
            "cannot set boot-script variable kernel-command-line",
        );

        const compat = get_compat_strings(kernel_cmdline);
        set("boot-args", VAL_STR, compat.flags, "cannot set boot-script variable boot-args");
        set("root-device", VAL_STR, compat.root, "cannot set boot-script variable root-device");

        /* Every FOO=BAR word (strsep on ' ' and '\t') becomes ${FOO} = "BAR". */
        for (const word of (kernel_cmdline.split("\0")[0] ?? "").split(/[ \t]/)) {
            const eq = word.indexOf("=");
            if (eq < 0) continue;
            const name = word.slice(0, eq);
            set(name, VAL_STR, word.slice(eq + 1), `cannot set boot-script variable ${name}`);
        }

        for (const [name, val] of Object.entries(vars)) {
            if (name === "host-port" || name === "device-port" || name === "kernel-command-line")
                continue;
            set(
                name,
                typeof val === "number" ? VAL_PORT : VAL_STR,
                val,
                `cannot set boot-script variable ${name}`,
            );
        }

        let losers = 0;
        let maxlen = 0;
        let i = 0;
        for (; i < modules.length; ++i) {
            const mod = modules[i];
            assert(mod !== undefined, "module exists");
            const line = mod.string.split("\0")[0] ?? "";
            const len = line.length + 1;
            if (len > maxlen) maxlen = len;
            hooks.printf(`\rmodule ${i}: ${line.padEnd(maxlen)}`);
            current = i;
            const before = bs.cmds.items.length;
            const err = boot_script_parse_line(bs, mod, line);
            const parsed =
                bs.cmds.items.length > before ? bs.cmds.items[bs.cmds.items.length - 1] : undefined;
            result.lines.push({
                module: i,
                string: mod.string,
                error: err,
                cmd: err === 0 ? (parsed ?? null) : null,
            });
            if (err) {
                hooks.printf(`\n\tERROR: ${str(boot_script_error_string(err))}`);
                ++losers;
            }
        }
        current = -1;
        hooks.printf(`\r${i} multiboot modules ${"".padEnd(maxlen)}`);
        if (losers)
            panic(`${losers} of ${modules.length} boot script commands could not be parsed`);
        losers = boot_script_exec(bs);
        if (losers)
            panic(`ERROR in executing boot script: ${str(boot_script_error_string(losers))}`);
    }

    for (const mod of modules) hooks.vm_page_create?.(mod.start, mod.end);
    return result;
}
