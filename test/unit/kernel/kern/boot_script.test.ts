import { describe, expect, it } from "vitest";
import {
    BOOT_SCRIPT_BAD_TYPE,
    BOOT_SCRIPT_EXEC_ERROR,
    BOOT_SCRIPT_INVALID_ASG,
    BOOT_SCRIPT_INVALID_SYM,
    BOOT_SCRIPT_MACH_ERROR,
    BOOT_SCRIPT_NOMEM,
    BOOT_SCRIPT_SYNTAX_ERROR,
    BOOT_SCRIPT_UNDEF_SYM,
    VAL_NONE,
    VAL_PORT,
    VAL_STR,
    VAL_SYM,
    VAL_TASK,
    SIZEOF_STRUCT_SYM,
    boot_script_create,
    boot_script_define_function,
    boot_script_error_string,
    boot_script_exec,
    boot_script_parse_line,
    boot_script_set_variable,
    bootstrap_run,
    get_compat_strings,
    sym_lookup,
    type BootScript,
    type BootScriptHooks,
    type BootScriptHost,
    type BootScriptModule,
    type BootScriptTask,
    type BootstrapVars,
} from "../../../../kernel/kern/boot_script.ts";
import { KernelPanic } from "../../../../kernel/kern/debug.ts";

// ---------------------------------------------------------------------------
// A recording BootScriptHost for the parser/executor alone.

interface FakeTask {
    id: number;
    path: string;
}
const tid = (t: BootScriptTask): number => (t as FakeTask).id;

function recorder(opts: { exec_fails?: boolean } = {}) {
    const calls: string[] = [];
    const argvs: string[][] = [];
    let next = 1;
    const host: BootScriptHost = {
        boot_script_exec_cmd(_cmd, task, _path, argv) {
            calls.push(`exec ${tid(task)}`);
            argvs.push([...argv]);
            return opts.exec_fails ? 1 : 0;
        },
        boot_script_task_create(cmd) {
            const task: FakeTask = { id: next++, path: cmd.path };
            cmd.task = task;
            calls.push(`task_create ${cmd.path}`);
            return 0;
        },
        boot_script_task_resume(cmd) {
            calls.push(`task_resume ${cmd.path}`);
            return 0;
        },
        boot_script_prompt_task_resume(cmd) {
            calls.push(`prompt_task_resume ${cmd.path}`);
            return 0;
        },
        /* Port p gets name p; task t gets name 100 + id: easy to read in argv. */
        boot_script_insert_right(_cmd, port) {
            return { error: 0, name: port };
        },
        boot_script_insert_task_port(_cmd, task) {
            return { error: 0, name: 100 + tid(task) };
        },
        boot_script_free_task(task, aborting) {
            calls.push(`free_task ${tid(task)} ${aborting}`);
        },
        boot_script_ramdisk_create(cmd) {
            calls.push(`ramdisk_create ${cmd.path}`);
            return { error: 0, name: "rd0" };
        },
    };
    const bs = boot_script_create(host);
    return { bs, calls, argvs };
}

/** Parse each line (stopping at an error), exec if all parsed; argv of every exec'd command. */
function run(lines: string[], setup?: (bs: BootScript) => void) {
    const r = recorder();
    setup?.(r.bs);
    const errors: number[] = [];
    for (const line of lines) errors.push(boot_script_parse_line(r.bs, null, line));
    const exec = errors.every((e) => e === 0) ? boot_script_exec(r.bs) : null;
    return { ...r, errors, exec };
}

/** The argv of a single line `p <words> $(task-create)`. */
function argv1(words: string, setup?: (bs: BootScript) => void): string[] {
    const r = run([`p ${words} $(task-create)`], setup);
    expect(r.errors).toEqual([0]);
    expect(r.exec).toBe(0);
    const [argv] = r.argvs;
    if (argv === undefined) throw new Error("not exec'd");
    return argv;
}

describe("[kern/boot_script]: tokenizer", () => {
    it("splits on blanks and tabs; leading blanks skipped; argv[0] is the path", () => {
        expect(argv1("a  b\tc\t\t d")).toEqual(["p", "a", "b", "c", "d"]);
        const r = run(["  \t/hurd/foo x $(task-create)"]);
        expect(r.argvs).toEqual([["/hurd/foo", "x"]]);
    });

    it("has no quoting: quotes and backslashes are ordinary characters", () => {
        expect(argv1(`"a b" 'c' d\\ e`)).toEqual(["p", `"a`, `b"`, `'c'`, "d\\", "e"]);
    });

    it("ignores comment lines, empty lines and blank lines (no command, no error)", () => {
        const r = run(["# a comment $(task-create)", "", "  \t ", "   # indented comment"]);
        expect(r.errors).toEqual([0, 0, 0, 0]);
        expect(r.bs.cmds.items).toEqual([]);
        expect(r.calls).toEqual([]);
    });

    it("a '#' after the path is text", () => {
        expect(argv1("#x y#")).toEqual(["p", "#x", "y#"]);
    });

    it("a newline where an argument would start ends the line", () => {
        const r = run(["p $(task-create) a \nb c"]);
        expect(r.argvs).toEqual([["p", "a"]]);
    });

    it("a newline that ends a word is consumed like a blank and parsing goes on", () => {
        const r = run(["p a\nb $(task-create)"]);
        expect(r.argvs).toEqual([["p", "a", "b"]]);
        const r2 = run(["p\nq $(task-create)"]);
        expect(r2.argvs).toEqual([["p", "q"]]);
    });

    it("a line ends at its first NUL", () => {
        const r = run(["p a $(task-create)\0 b c"]);
        expect(r.argvs).toEqual([["p", "a"]]);
    });

    it("a path alone is a command without arguments", () => {
        const r = recorder();
        expect(boot_script_parse_line(r.bs, null, "/hurd/x")).toBe(0);
        expect(r.bs.cmds.items.map((c) => [c.path, c.args.length])).toEqual([["/hurd/x", 0]]);
    });

    it('text ends at "${" but not at "$("; a lone $ or $x is text', () => {
        const setup = (bs: BootScript) => {
            boot_script_set_variable(bs, "x", VAL_STR, "X");
        };
        expect(argv1("a${x} b$(task-create) $ $x ${x}", setup)).toEqual([
            "p",
            "aX",
            "b$(task-create)",
            "$",
            "$x",
            "X",
        ]);
    });

    it('text${var}text gives "text<value>" and a new argument "text"', () => {
        const setup = (bs: BootScript) => {
            boot_script_set_variable(bs, "x", VAL_STR, "X");
        };
        expect(argv1("a${x}b ${x}c ${x}${x}", setup)).toEqual(["p", "aX", "b", "X", "c", "X", "X"]);
    });

    it("records path, args (text and value) and the task per line", () => {
        const r = recorder();
        boot_script_set_variable(r.bs, "host-port", VAL_PORT, 7);
        const line =
            "/hurd/ext2fs ext2fs --port=${host-port} ${root} $(task-create) $(task-resume)";
        expect(boot_script_parse_line(r.bs, null, line)).toBe(0);
        const [c] = r.bs.cmds.items;
        expect(c?.path).toBe("/hurd/ext2fs");
        expect(c?.args.map((a) => [a.text, a.type])).toEqual([
            ["ext2fs", VAL_NONE],
            ["--port=", VAL_PORT],
            [null, VAL_SYM],
        ]);
        expect(c?.args[1]?.val).toBe(7);
        expect(c?.args[2]?.val).toBe(sym_lookup(r.bs, "root"));
        expect(tid(c?.task ?? {})).toBe(1);
        expect(c?.exec_funcs.map((s) => s.name)).toEqual(["task-resume"]);
        expect(boot_script_exec(r.bs)).toBe(BOOT_SCRIPT_UNDEF_SYM);
    });
});

describe("[kern/boot_script]: variables", () => {
    it("a defined variable's value is copied while parsing", () => {
        const r = recorder();
        boot_script_set_variable(r.bs, "v", VAL_STR, "old");
        expect(boot_script_parse_line(r.bs, null, "p ${v} $(task-create)")).toBe(0);
        const v = sym_lookup(r.bs, "v");
        if (v) v.val = "new";
        expect(boot_script_exec(r.bs)).toBe(0);
        expect(r.argvs).toEqual([["p", "old"]]);
    });

    it("an undefined variable is a reference, resolved at exec time (forward use)", () => {
        const r = run(["a --t=${later} $(task-create)", "b $(later=task-create)"]);
        expect(r.errors).toEqual([0, 0]);
        expect(r.exec).toBe(0);
        expect(r.argvs).toEqual([["a", "--t=102"], ["b"]]);
    });

    it("set_variable appends: the first definition of a name wins", () => {
        expect(
            argv1("${v}", (bs) => {
                boot_script_set_variable(bs, "v", VAL_STR, "first");
                boot_script_set_variable(bs, "v", VAL_STR, "second");
            }),
        ).toEqual(["p", "first"]);
    });

    it("$(var=func) binds the function's value; the same port/task may be used twice", () => {
        const r = run(["a $(t=task-create) ${t} x${t}", "b ${t} $(task-create)"]);
        expect(r.exec).toBe(0);
        expect(r.argvs).toEqual([
            ["a", "101", "x101"],
            ["b", "101"],
        ]);
        expect(r.calls.filter((c) => c.startsWith("task_create"))).toEqual([
            "task_create a",
            "task_create b",
        ]);
    });

    it("$(a=b) copies b's value; $(a=b) with b undefined makes a an alias", () => {
        const r = run(
            [
                "p $(a=s) $(c=later) $(task-create) ${a} ${c}",
                "q $(later=d) $(task-create)",
                "r $(d=task-create)",
            ],
            (bs) => {
                boot_script_set_variable(bs, "s", VAL_STR, "S");
            },
        );
        expect(r.errors).toEqual([0, 0, 0]);
        expect(r.exec).toBe(0);
        expect(r.argvs[0]).toEqual(["p", "S", "103"]);
    });

    it("$(name) of a variable, and $(func arg) (no arguments in Mach), do nothing", () => {
        const r = run(["p $(x) $(task-create extra) $(task-create)"], (bs) => {
            boot_script_set_variable(bs, "x", VAL_STR, "X");
        });
        expect(r.errors).toEqual([0]);
        expect(r.argvs).toEqual([["p"]]);
        expect(r.calls.filter((c) => c.startsWith("task_create"))).toEqual(["task_create p"]);
    });

    it("an undefined variable at exec time: BOOT_SCRIPT_UNDEF_SYM, tasks terminated", () => {
        const r = run(["p ${nope} $(task-create)"]);
        expect(r.exec).toBe(BOOT_SCRIPT_UNDEF_SYM);
        expect(boot_script_error_string(BOOT_SCRIPT_UNDEF_SYM)).toBe("undefined symbol");
        expect(r.calls).toEqual(["task_create p", "free_task 1 true"]);
    });

    it("commands without a task are not exec'd and need no defined variables", () => {
        const r = run(["p ${nope}", "q $(task-create)"]);
        expect(r.exec).toBe(0);
        expect(r.argvs).toEqual([["q"]]);
    });

    it("a value of an unknown type: BOOT_SCRIPT_BAD_TYPE", () => {
        const r = run(["p ${v} $(task-create)"], (bs) => {
            boot_script_set_variable(bs, "v", 7, 0);
        });
        expect(r.exec).toBe(BOOT_SCRIPT_BAD_TYPE);
    });

    it("a variable set to VAL_NONE is undefined", () => {
        const r = run(["p ${v} $(task-create)"], (bs) => {
            boot_script_set_variable(bs, "v", VAL_NONE, null);
        });
        expect(r.exec).toBe(BOOT_SCRIPT_UNDEF_SYM);
    });

    it("a reference cycle, where GNU Mach spins forever, is a model panic", () => {
        const r = recorder();
        expect(boot_script_parse_line(r.bs, null, "p $(a=b) $(b=a) ${a} $(task-create)")).toBe(0);
        expect(() => boot_script_exec(r.bs)).toThrow(KernelPanic);
    });
});

describe("[kern/boot_script]: parse-time and exec-time functions", () => {
    it("task-create and ramdisk-create run while parsing; task-resume after every exec", () => {
        const r = recorder();
        expect(boot_script_parse_line(r.bs, null, "i initrd $(ramdisk-create)")).toBe(0);
        expect(boot_script_parse_line(r.bs, null, "a $(task-resume) $(task-create)")).toBe(0);
        expect(boot_script_parse_line(r.bs, null, "b $(prompt-task-resume) $(task-create)")).toBe(
            0,
        );
        expect(r.calls).toEqual(["ramdisk_create i", "task_create a", "task_create b"]);
        expect(boot_script_exec(r.bs)).toBe(0);
        expect(r.calls).toEqual([
            "ramdisk_create i",
            "task_create a",
            "task_create b",
            "exec 1",
            "exec 2",
            "task_resume a",
            "prompt_task_resume b",
            "free_task 1 false",
            "free_task 2 false",
        ]);
    });

    it("$(var=ramdisk-create) binds the ramdisk's name (VAL_STR)", () => {
        const r = run(["i $(rd=ramdisk-create)", "p ${rd} dev:${rd} $(task-create)"]);
        expect(r.argvs).toEqual([["p", "rd0", "dev:rd0"]]);
    });

    it("boot_script_define_function: VAL_NONE runs at exec time, other types while parsing", () => {
        const r = recorder();
        const seen: string[] = [];
        boot_script_define_function(r.bs, "now", VAL_STR, (cmd) => {
            seen.push(`now ${cmd.path}`);
            return { error: 0, val: "N" };
        });
        boot_script_define_function(r.bs, "later", VAL_NONE, (cmd) => {
            seen.push(`later ${cmd.path}`);
            return { error: 0 };
        });
        expect(boot_script_parse_line(r.bs, null, "p $(v=now) $(later) ${v} $(task-create)")).toBe(
            0,
        );
        expect(seen).toEqual(["now p"]);
        expect(boot_script_exec(r.bs)).toBe(0);
        expect(seen).toEqual(["now p", "later p"]);
        expect(r.argvs).toEqual([["p", "N"]]);
    });

    it("an exec-time function's error aborts: cleanup terminates the tasks", () => {
        const r = recorder();
        boot_script_define_function(r.bs, "fail", VAL_NONE, () => ({
            error: BOOT_SCRIPT_MACH_ERROR,
        }));
        expect(boot_script_parse_line(r.bs, null, "p $(task-create) $(fail)")).toBe(0);
        expect(boot_script_exec(r.bs)).toBe(BOOT_SCRIPT_MACH_ERROR);
        expect(r.calls).toEqual(["task_create p", "exec 1", "free_task 1 true"]);
    });

    it("boot_script_exec_cmd failing: BOOT_SCRIPT_EXEC_ERROR", () => {
        const r = recorder({ exec_fails: true });
        expect(boot_script_parse_line(r.bs, null, "p $(task-create)")).toBe(0);
        expect(boot_script_exec(r.bs)).toBe(BOOT_SCRIPT_EXEC_ERROR);
    });
});

describe("[kern/boot_script]: parse errors", () => {
    it.each([
        ["p ${}", BOOT_SCRIPT_SYNTAX_ERROR],
        ["p $()", BOOT_SCRIPT_SYNTAX_ERROR],
        ["p ${x", BOOT_SCRIPT_SYNTAX_ERROR],
        ["p $(x", BOOT_SCRIPT_SYNTAX_ERROR],
        ["p ${x\n}", BOOT_SCRIPT_SYNTAX_ERROR],
        ["p ${a=b}", BOOT_SCRIPT_SYNTAX_ERROR],
        ["p $(a=)", BOOT_SCRIPT_SYNTAX_ERROR],
        ["p $(=x)", BOOT_SCRIPT_SYNTAX_ERROR],
        ["p ${task-create}", BOOT_SCRIPT_INVALID_SYM],
        ["p x${task-resume}", BOOT_SCRIPT_INVALID_SYM],
        ["p $(task-create=x)", BOOT_SCRIPT_INVALID_ASG],
        ["p $(v=task-resume=x)", BOOT_SCRIPT_INVALID_ASG],
    ])("%j → %i", (line, err) => {
        const r = recorder();
        expect(boot_script_parse_line(r.bs, null, line)).toBe(err);
    });

    it("out of memory at any allocation: BOOT_SCRIPT_NOMEM, and everything is freed", () => {
        const line =
            "/hurd/ext2fs.static ext2fs --host-priv-port=${host-port} --exec-server-task=${exec-task} " +
            "a b c d e f g h $(t=task-create) $(task-resume) ${t}";
        let outcomes = 0;
        for (let n = 0; ; n++) {
            const r = recorder();
            const live = new Map<number, number>();
            let calls = 0;
            let brk = 0x1000;
            r.bs.host.boot_script_malloc = (size) => {
                if (calls++ === n) return null;
                live.set(brk, size);
                brk += size;
                return brk - size;
            };
            r.bs.host.boot_script_free = (addr, size) => {
                expect(live.get(addr)).toBe(size);
                live.delete(addr);
            };
            /* struct sym, then the symbol table's array. */
            expect(boot_script_set_variable(r.bs, "host-port", VAL_PORT, 1)).toBe(n < 2 ? 1 : 0);
            if (n < 2) {
                expect(live.size).toBe(0);
                continue;
            }
            const err = boot_script_parse_line(r.bs, null, line);
            if (err === 0) {
                expect(calls).toBeLessThanOrEqual(n);
                break;
            }
            outcomes++;
            expect(err).toBe(BOOT_SCRIPT_NOMEM);
            /* No struct cmd (n = 2): Mach returns at once, the symbol table stays. */
            expect([...live.values()]).toEqual(n === 2 ? [SIZEOF_STRUCT_SYM, 20 * 4] : []);
            expect(r.bs.cmds.items).toEqual([]);
            expect(r.calls.filter((c) => c.startsWith("free_task"))).toEqual(
                r.calls.some((c) => c.startsWith("task_create")) ? ["free_task 1 true"] : [],
            );
        }
        expect(outcomes).toBeGreaterThan(10);
    });

    it("error strings are Mach's", () => {
        expect([1, 2, 3, 4, 5, 6, 7, 8].map(boot_script_error_string)).toEqual([
            "no memory",
            "syntax error",
            "invalid variable in assignment",
            "mach error",
            "undefined symbol",
            "exec error",
            "invalid variable in expression",
            "invalid value type",
        ]);
        expect(boot_script_error_string(0)).toBeNull();
        expect(boot_script_error_string(9)).toBeNull();
    });

    it("a syntax error frees everything: earlier tasks terminated, symbol table emptied", () => {
        const r = recorder();
        boot_script_set_variable(r.bs, "host-port", VAL_PORT, 1);
        expect(boot_script_parse_line(r.bs, null, "a $(task-create)")).toBe(0);
        expect(boot_script_parse_line(r.bs, null, "b $(task-create) ${oops")).toBe(
            BOOT_SCRIPT_SYNTAX_ERROR,
        );
        expect(r.calls).toEqual([
            "task_create a",
            "task_create b",
            "free_task 2 true",
            "free_task 1 true",
        ]);
        expect(r.bs.cmds.items).toEqual([]);
        expect(sym_lookup(r.bs, "host-port")).toBeNull();
    });

    it("${function} returns at once: the line is dropped, the rest is kept, its task is not freed", () => {
        const r = recorder();
        expect(boot_script_parse_line(r.bs, null, "a $(task-create)")).toBe(0);
        expect(boot_script_parse_line(r.bs, null, "b $(task-create) ${task-create}")).toBe(
            BOOT_SCRIPT_INVALID_SYM,
        );
        expect(r.bs.cmds.items.map((c) => c.path)).toEqual(["a"]);
        expect(r.calls).toEqual(["task_create a", "task_create b"]);
    });
});

// ---------------------------------------------------------------------------
// bootstrap_run: bootstrap_create() over kernel hooks.

const INITRD = "/boot/gtk/initrd.gz initrd $(ramdisk-create)";
const EXT2FS =
    "/hurd/ext2fs.static ext2fs --multiboot-command-line=${kernel-command-line} " +
    "--host-priv-port=${host-port} --device-master-port=${device-port} --exec-server-task=${exec-task} " +
    "-T typed gunzip:device:rd0 $(task-create) $(task-resume)";
const EXEC = "/lib/ld.so.1 exec /hurd/exec $(exec-task=task-create)";
const CMDLINE = "/boot/kernel.gz root=device:rd0 TERM=mach-color";

const DI_MODULES: BootScriptModule[] = [
    { string: INITRD, start: 0x0080_0000, end: 0x0080_0000 + 6_422_000 },
    { string: EXT2FS, start: 0x00e2_0000, end: 0x00f0_0000 },
    { string: EXEC, start: 0x00f0_0000, end: 0x00f8_0000 },
];
const VARS: BootstrapVars = {
    "host-port": 0x1001,
    "device-port": 0x1002,
    "kernel-command-line": CMDLINE,
};

function kernel(
    opts: {
        task_create_kr?: number;
        ramdisk_kr?: number;
        resume_kr?: number;
        exec_err?: number;
        kalloc_fails?: (size: number, n: number) => boolean;
    } = {},
) {
    const log: string[] = [];
    const out: string[] = [];
    const live = new Map<number, number>();
    let tasks = 0;
    let rds = 0;
    let brk = 0xc100_0000;
    let nalloc = 0;
    const hooks: BootScriptHooks = {
        task_create(cmd) {
            log.push(`task_create ${cmd.path}`);
            if (opts.task_create_kr) return { kr: opts.task_create_kr };
            const task: FakeTask = { id: ++tasks, path: cmd.path };
            return { kr: 0, task };
        },
        task_resume(task) {
            log.push(`task_resume ${(task as FakeTask).path}`);
            return opts.resume_kr ?? 0;
        },
        task_terminate(task) {
            log.push(`task_terminate ${(task as FakeTask).path}`);
            return 0;
        },
        ramdisk_create(cmd) {
            const mod = cmd.hook;
            if (mod === null) throw new Error("no module");
            const size = mod.end - mod.start;
            log.push(`ramdisk_create ${size}`);
            if (opts.ramdisk_kr) return { kr: opts.ramdisk_kr };
            const rounded = Math.ceil(size / 4096) * 4096;
            hooks.printf(`rd${rds}: ${rounded} bytes @0xc2000000\n`);
            return { kr: 0, rd: rds++ };
        },
        exec_task(_cmd, task, argv) {
            log.push(`exec_task ${(task as FakeTask).path} [${argv.length}]`);
            return opts.exec_err ?? 0;
        },
        kalloc(size) {
            if (opts.kalloc_fails?.(size, nalloc++)) return null;
            const addr = brk;
            brk += 64 + size;
            live.set(addr, size);
            return addr;
        },
        kfree(addr, size) {
            expect(live.get(addr)).toBe(size);
            live.delete(addr);
        },
        vm_page_create(start, end) {
            log.push(`vm_page_create ${start.toString(16)}-${end.toString(16)}`);
        },
        printf(s) {
            out.push(s);
            log.push(`printf ${JSON.stringify(s)}`);
        },
    };
    return { hooks, log, out, live };
}

function panics(f: () => unknown): string {
    try {
        f();
    } catch (e) {
        if (e instanceof KernelPanic) return e.panicMessage;
        throw e;
    }
    throw new Error("no panic");
}

describe("[kern/boot_script]: bootstrap_run, the 2014 Debian installer", () => {
    const maxlen = EXT2FS.length + 1;
    const ext2fs_argv = [
        "/hurd/ext2fs.static",
        "ext2fs",
        `--multiboot-command-line=${CMDLINE}`,
        "--host-priv-port=1",
        "--device-master-port=2",
        "--exec-server-task=3",
        "-T",
        "typed",
        "gunzip:device:rd0",
    ];

    it("prints Mach's lines in order, with hooks at parse and exec time", () => {
        const k = kernel();
        const res = bootstrap_run(DI_MODULES, VARS, k.hooks);
        expect(k.out).toEqual([
            `\rmodule 0: ${INITRD} `,
            "rd0: 6422528 bytes @0xc2000000\n",
            `\rmodule 1: ${EXT2FS} `,
            `\rmodule 2: ${EXEC.padEnd(maxlen)}`,
            `\r3 multiboot modules ${" ".repeat(maxlen)}`,
            "task loaded:",
            ...ext2fs_argv.map((a) => ` ${a}`),
            "\n",
            "task loaded:",
            " /lib/ld.so.1",
            " exec",
            " /hurd/exec",
            "\n",
            "\nstart /hurd/ext2fs.static: ",
        ]);
        expect(k.log.filter((l) => !l.startsWith("printf"))).toEqual([
            "ramdisk_create 6422000",
            "task_create /hurd/ext2fs.static",
            "task_create /lib/ld.so.1",
            "exec_task /hurd/ext2fs.static [9]",
            "exec_task /lib/ld.so.1 [3]",
            "task_resume /hurd/ext2fs.static",
            `vm_page_create 800000-${(0x80_0000 + 6_422_000).toString(16)}`,
            "vm_page_create e20000-f00000",
            "vm_page_create f00000-f80000",
        ]);
        /* ramdisk and both tasks exist before the "3 multiboot modules" line. */
        const at = (s: string) => k.log.findIndex((l) => l.startsWith(s));
        expect(at("task_create /lib/ld.so.1")).toBeLessThan(at(`printf "\\r3 multiboot modules`));
        expect(at("ramdisk_create")).toBeLessThan(at(`printf "\\rmodule 1:`));

        expect(res.compat).toBe(false);
        expect(res.lines.map((l) => [l.module, l.error, l.cmd?.path])).toEqual([
            [0, 0, "/boot/gtk/initrd.gz"],
            [1, 0, "/hurd/ext2fs.static"],
            [2, 0, "/lib/ld.so.1"],
        ]);
        expect(res.lines[1]?.cmd?.argv).toEqual(ext2fs_argv);
        expect(res.lines[0]?.cmd?.argv).toBeNull();
        expect(res.tasks.map((t) => [t.module, t.path, tid(t.task)])).toEqual([
            [1, "/hurd/ext2fs.static", 1],
            [2, "/lib/ld.so.1", 2],
        ]);
        expect(res.ramdisks).toEqual([{ module: 0, rd: 0, name: "rd0" }]);
        expect(res.variables.map((v) => [v.name, v.type, v.val])).toEqual([
            ["host-port", VAL_PORT, 0x1001],
            ["device-port", VAL_PORT, 0x1002],
            ["kernel-command-line", VAL_STR, CMDLINE],
            ["boot-args", VAL_STR, "-x"],
            ["root-device", VAL_STR, "device:rd0"],
            ["root", VAL_STR, "device:rd0"],
            ["TERM", VAL_STR, "mach-color"],
        ]);
    });

    it("frees every boot-script allocation but the ramdisk's name (16 bytes)", () => {
        const k = kernel();
        bootstrap_run(DI_MODULES, VARS, k.hooks);
        expect([...k.live.values()]).toEqual([16]);
    });

    it("a port used twice in one task keeps its name", () => {
        const k = kernel();
        const mods = [
            {
                string: "/a a ${host-port} ${device-port} ${host-port} $(task-create)",
                start: 0,
                end: 1,
            },
            { string: "/b b ${device-port} $(task-create)", start: 1, end: 2 },
        ];
        bootstrap_run(mods, VARS, k.hooks);
        expect(k.out.join("")).toContain("task loaded: /a a 1 2 1\n");
        expect(k.out.join("")).toContain("task loaded: /b b 1\n");
    });

    it('ramdisk-create failing: "\\n\\tERROR: mach error", then the parse panic', () => {
        const k = kernel({ ramdisk_kr: 3 });
        expect(panics(() => bootstrap_run(DI_MODULES, VARS, k.hooks))).toBe(
            "1 of 3 boot script commands could not be parsed",
        );
        expect(k.out).toEqual([
            `\rmodule 0: ${INITRD} `,
            "\n\tERROR: mach error",
            `\rmodule 1: ${EXT2FS} `,
            `\rmodule 2: ${EXEC.padEnd(maxlen)}`,
            `\r3 multiboot modules ${" ".repeat(maxlen)}`,
        ]);
    });

    it("a syntax error: the earlier tasks are terminated, later lines still parse", () => {
        const k = kernel();
        const mods = [
            DI_MODULES[0],
            DI_MODULES[1],
            { string: "/lib/ld.so.1 exec $(exec-task=task-create", start: 0, end: 0 },
        ].filter((m): m is BootScriptModule => m !== undefined);
        expect(panics(() => bootstrap_run(mods, VARS, k.hooks))).toBe(
            "1 of 3 boot script commands could not be parsed",
        );
        expect(k.out).toContain("\n\tERROR: syntax error");
        expect(k.log.filter((l) => !l.startsWith("printf"))).toEqual([
            "ramdisk_create 6422000",
            "task_create /hurd/ext2fs.static",
            "task_terminate /hurd/ext2fs.static",
        ]);
    });

    it('two bad lines: "2 of 3 …"', () => {
        const k = kernel();
        const mods = ["a ${x", "b ${task-create}", "c"].map((string) => ({
            string,
            start: 0,
            end: 0,
        }));
        expect(panics(() => bootstrap_run(mods, VARS, k.hooks))).toBe(
            "2 of 3 boot script commands could not be parsed",
        );
        expect(k.out.filter((s) => s.startsWith("\n\tERROR"))).toEqual([
            "\n\tERROR: syntax error",
            "\n\tERROR: invalid variable in expression",
        ]);
    });

    it('task_create failing: Mach\'s message in hex, then "mach error"', () => {
        const k = kernel({ task_create_kr: 0x10 });
        expect(panics(() => bootstrap_run(DI_MODULES, VARS, k.hooks))).toBe(
            "2 of 3 boot script commands could not be parsed",
        );
        expect(k.out).toContain("boot_script_task_create failed with 10\n");
        expect(k.out.filter((s) => s.startsWith("\n\tERROR"))).toEqual([
            "\n\tERROR: mach error",
            "\n\tERROR: mach error",
        ]);
    });

    it('an undefined variable panics at exec: "ERROR in executing boot script: undefined symbol"', () => {
        const k = kernel();
        const mods = [
            {
                string: "/hurd/ext2fs.static ext2fs --exec-server-task=${exec-task} $(task-create)",
                start: 0,
                end: 0,
            },
            { string: "/hurd/x x", start: 0, end: 0 },
        ];
        expect(panics(() => bootstrap_run(mods, VARS, k.hooks))).toBe(
            "ERROR in executing boot script: undefined symbol",
        );
        expect(k.log.filter((l) => !l.startsWith("printf"))).toEqual([
            "task_create /hurd/ext2fs.static",
            "task_terminate /hurd/ext2fs.static",
        ]);
    });

    it('task-resume on a line without a task: KERN_INVALID_ARGUMENT, "mach error" at exec', () => {
        const k = kernel();
        const mods = ["/a a $(task-create)", "/b b $(task-resume)"].map((string) => ({
            string,
            start: 0,
            end: 0,
        }));
        expect(panics(() => bootstrap_run(mods, VARS, k.hooks))).toBe(
            "ERROR in executing boot script: mach error",
        );
        expect(k.out).toContain("boot_script_task_resume failed with 4\n");
    });

    it("task_resume failing", () => {
        const k = kernel({ resume_kr: 5 });
        expect(panics(() => bootstrap_run(DI_MODULES, VARS, k.hooks))).toBe(
            "ERROR in executing boot script: mach error",
        );
        expect(k.out.at(-1)).toBe("boot_script_task_resume failed with 5\n");
    });

    it("exec_load failing panics as user_bootstrap does", () => {
        const k = kernel({ exec_err: 2 });
        expect(panics(() => bootstrap_run(DI_MODULES, VARS, k.hooks))).toBe(
            "Cannot load user executable module (error code 2): /hurd/ext2fs.static",
        );
    });

    it("prompt-task-resume prints Mach's prompt before resuming", () => {
        const k = kernel();
        const mods = ["/a a $(task-create) $(prompt-task-resume)", "/b b"].map((string) => ({
            string,
            start: 0,
            end: 0,
        }));
        bootstrap_run(mods, VARS, k.hooks);
        expect(k.out.slice(-2)).toEqual(["Hit return to resume /a...", "\nstart /a: "]);
    });

    it('out of memory while parsing: "\\n\\tERROR: no memory"', () => {
        /* Fail the first struct cmd allocation (36 bytes). */
        let failed = false;
        const k = kernel({ kalloc_fails: (size) => !failed && size === 36 && (failed = true) });
        expect(panics(() => bootstrap_run(DI_MODULES, VARS, k.hooks))).toBe(
            "1 of 3 boot script commands could not be parsed",
        );
        expect(k.out[1]).toBe("\n\tERROR: no memory");
    });

    it("out of memory setting host-port panics with Mach's message", () => {
        const k = kernel({ kalloc_fails: () => true });
        expect(panics(() => bootstrap_run(DI_MODULES, VARS, k.hooks))).toBe(
            "cannot set boot-script variable host-port: no memory",
        );
    });

    it('out of memory in boot_script_exec: "ERROR in executing boot script: no memory"', () => {
        /* The command-line buffer of ext2fs: strlen("/hurd/ext2fs.static") + 1 + 100. */
        const k = kernel({ kalloc_fails: (size) => size === 120 });
        expect(panics(() => bootstrap_run(DI_MODULES, VARS, k.hooks))).toBe(
            "ERROR in executing boot script: no memory",
        );
        expect(k.log.filter((l) => l.startsWith("task_terminate"))).toEqual([
            "task_terminate /hurd/ext2fs.static",
            "task_terminate /lib/ld.so.1",
        ]);
    });

    it('no modules: "No bootstrap code loaded with the kernel!"', () => {
        expect(panics(() => bootstrap_run([], VARS, kernel().hooks))).toBe(
            "No bootstrap code loaded with the kernel!",
        );
    });
});

describe("[kern/boot_script]: bootstrap_run variables and compat mode", () => {
    it("one module without arguments is compat mode", () => {
        for (const string of ["/boot/serverboot", "/boot/serverboot   \n "]) {
            const k = kernel();
            const res = bootstrap_run([{ string, start: 0x100000, end: 0x200000 }], VARS, k.hooks);
            expect(res.compat).toBe(true);
            expect(k.out).toEqual([`Loading single multiboot module in compat mode: ${string}\n`]);
            expect(k.log.at(-1)).toBe("vm_page_create 100000-200000");
        }
    });

    it("one module with arguments runs the script", () => {
        const k = kernel();
        const res = bootstrap_run(
            [{ string: "/hurd/x x $(task-create)", start: 0, end: 0 }],
            VARS,
            k.hooks,
        );
        expect(res.compat).toBe(false);
        expect(k.out[0]).toBe("\rmodule 0: /hurd/x x $(task-create) ");
        expect(k.out[1]).toBe("\r1 multiboot modules " + " ".repeat(25));
    });

    it("boot-args, root-device and FOO=BAR words as Mach derives them", () => {
        const cmdline = "/boot/gnumach.gz -s  -d root=/dev/hd0s1 a=b=c =x";
        expect(get_compat_strings(cmdline)).toEqual({ flags: "-sd", root: "hd0s1" });
        expect(get_compat_strings("")).toEqual({ flags: "-x", root: "UNKNOWN" });
        expect(get_compat_strings("root=a root=device:hd2")).toEqual({
            flags: "-x",
            root: "device:hd2",
        });

        const k = kernel();
        const res = bootstrap_run(
            [
                {
                    string: "/hurd/x x ${boot-args} ${root-device} ${a} ${extra} $(task-create)",
                    start: 0,
                    end: 0,
                },
            ],
            { ...VARS, "kernel-command-line": cmdline, extra: "E" },
            k.hooks,
        );
        expect(res.variables.slice(3).map((v) => [v.name, v.val])).toEqual([
            ["boot-args", "-sd"],
            ["root-device", "hd0s1"],
            ["root", "/dev/hd0s1"],
            ["a", "b=c"],
            ["", "x"],
            ["extra", "E"],
        ]);
        expect(k.out.join("")).toContain("task loaded: /hurd/x x -sd hd0s1 b=c E\n");
    });

    it("FOO=BAR words are split on tabs too", () => {
        const k = kernel();
        /* get_compat_strings would spin on the tab in Mach; see the next test. */
        expect(() =>
            bootstrap_run(
                [{ string: "/hurd/x x $(task-create)", start: 0, end: 0 }],
                { ...VARS, "kernel-command-line": "a=1\tb=2" },
                k.hooks,
            ),
        ).toThrow(KernelPanic);
    });

    it("get_compat_strings: a tab in the command line, where Mach spins forever, is a model panic", () => {
        expect(() => get_compat_strings("a\tb")).toThrow(KernelPanic);
        expect(() => get_compat_strings("-s\t")).toThrow(KernelPanic);
    });

    it("a value of type VAL_TASK bound in one line is a task port in another", () => {
        const k = kernel();
        const mods = ["/a a ${t} $(task-create)", "/b b $(t=task-create)"].map((string) => ({
            string,
            start: 0,
            end: 0,
        }));
        bootstrap_run(mods, VARS, k.hooks);
        expect(k.out.join("")).toContain("task loaded: /a a 1\n");
        expect(VAL_TASK).toBe(3);
    });
});
