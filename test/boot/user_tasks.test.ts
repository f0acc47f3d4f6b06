/*
 * Boot tier: user programs in ring 3 on the v86 engine — memory pressure
 * with and without a paging area (memhog), faulting tasks killed one by one
 * while the others run on, and the determinism of a paging-heavy run.
 * Every expected number is derived from what the model or the guest
 * printed (free pages at start, the address faulty says it will touch),
 * never typed in.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { bootImage } from "../../lib/index.ts";
import { elf_parse, type ExecImage } from "../../kernel/kern/elf_load.ts";
import { VM_PROT_EXECUTE } from "../../kernel/vm/vm_prot.ts";
import { ROOT, cli, expect_clean_after_tasks } from "./helpers.ts";

const img = (name: string) => join(ROOT, "images", name);
const PAGE = 4096;

/** The first capture group of `re` in the console, as a number (fails the test when absent). */
function num(console: string, re: RegExp, base = 10): number {
    const m = console.match(re);
    expect(m, `console has ${re}`).not.toBeNull();
    return parseInt(m![1]!, base);
}

describe("pressure-swap: memhog 2x on 24 MiB with 96 MiB of swap", () => {
    it("completes with 0 errors, pages out and in, and never hands the reserve to user allocations", async () => {
        const r = await bootImage({ image: img("pressure-swap") });
        expect(r.status, r.reason).toBe("ok");
        const u = r.user!;
        console.log(
            `pressure-swap: pageouts ${u.pageouts}, pageins ${u.pageins}, scans ${u.pageout_scans}, ` +
                `free minimum ${u.free_count_minimum} (reserve ${u.free_reserved}), ticks ${u.ticks}`,
        );
        // memhog sized itself from the free count it saw: 2 × free pages, which is more than the machine has.
        const free_at_start = num(r.console, /memhog: start: .*\bfree=(\d+) pages/);
        const pages = num(r.console, /memhog: 2x = \d+ KiB \((\d+) pages\)/);
        expect(pages).toBe(2 * free_at_start);
        const ram_pages = r.kernel!.phys_last_addr / PAGE;
        expect(pages).toBeGreaterThan(ram_pages);
        const verified = num(r.console, /^memhog: verified (\d+) KiB, 0 errors$/m);
        expect(verified).toBe(pages * 4);
        expect(r.console).not.toMatch(/MISMATCH/);
        expect(r.console).toMatch(/^mach86: task \/bin\/memhog \(1\) exited with code 0$/m);
        expect(u.ran).toBe(true);
        expect(u.tasks).toEqual([
            {
                name: "/bin/memhog",
                id: 1,
                state: "exited",
                end: "exited with code 0",
                exit_code: 0,
            },
        ]);
        // At least the part that cannot fit in RAM went out, and all of it came back in to be verified.
        expect(u.pageouts).toBeGreaterThanOrEqual(pages - ram_pages);
        expect(u.pageins).toBeGreaterThanOrEqual(pages - ram_pages);
        expect(u.pageout_scans).toBeGreaterThan(0);
        expect(u.zero_fill).toBeGreaterThanOrEqual(pages);
        expect(u.free_count_minimum).toBeGreaterThanOrEqual(u.free_reserved);
        expect(u.free_reserved).toBe(r.kernel!.params.vm_page_free_reserved);
        expect(r.kernel!.vm!.pager.writes).toBeGreaterThanOrEqual(u.pageouts);
        expect_clean_after_tasks(r);
    });
});

describe("pressure-noswap: memhog 2x with no paging area", () => {
    it("panics with the out-of-memory report; the host survives", async () => {
        const r = await bootImage({ image: img("pressure-noswap") });
        expect(r.status).toBe("panic");
        expect(r.reason).toMatch(/out of memory/);
        const c = r.console;
        const oom = c.match(
            /^mach86: out of memory: (.*) needs a page; (\d+) free \(reserve (\d+)\)/m,
        );
        expect(oom, "the out-of-memory line").not.toBeNull();
        expect(oom![1]).toMatch(/^\/bin\/memhog fault at 0x[0-9a-f]+$/);
        expect(Number(oom![2])).toBeLessThan(Number(oom![3]));
        expect(c).toMatch(/^mach86: no paging area: anonymous memory cannot be paged out$/m);
        expect(c).toMatch(/^mach86: top memory consumers \(resident pages\):$/m);
        // memhog is the only task with pageable memory: the report lists every active and inactive page as its.
        const held =
            num(c, /^mach86: out of memory: .* (\d+) active, /m) +
            num(c, /^mach86: out of memory: .* (\d+) inactive, /m);
        expect(held).toBeGreaterThan(0);
        expect(num(c, /^ {2}\/bin\/memhog \(1\): (\d+) pages resident/m)).toBe(held);
        expect(c).toMatch(/^cache +obj +slab +bufs +objs +bufs +total +reclaimable$/m);
        expect(c).toMatch(/^name +size +size +\/slab +usage +count +memory +memory$/m);
        // The report comes before the panic, and memhog never got to the end.
        expect(c.indexOf("mach86: out of memory")).toBeLessThan(c.indexOf("top memory consumers"));
        expect(c).not.toMatch(/memhog: verified/);
        expect(r.user!.pageouts).toBe(0);
        expect(r.user!.free_count_minimum).toBeGreaterThanOrEqual(r.user!.free_reserved);
    });
});

function exec_segments(path: string): ExecImage {
    const e = elf_parse(new Uint8Array(readFileSync(path)));
    if (e === null || typeof e === "string") throw new Error(`${path}: ${e}`);
    return e;
}

describe("user-faulty: faults kill one task, not the kernel", () => {
    it("kills null and text with task, address and fault type; badsys and badptr exit 0; hello runs after them", async () => {
        const r = await bootImage({ image: img("user-faulty") });
        expect(r.status, r.reason).toBe("ok");
        const c = r.console;
        const text = exec_segments(join(ROOT, "build/images/user/faulty")).segments.filter(
            (s) => s.prot & VM_PROT_EXECUTE,
        );
        const in_text = (eip: number) =>
            text.some((s) => eip >= s.vaddr && eip < s.vaddr + s.memsz);

        const kill = (id: number) =>
            c.match(
                new RegExp(
                    `^mach86: task /bin/faulty \\(${id}\\) killed: page fault at 0x([0-9a-f]{8}) \\(eip 0x([0-9a-f]{8}), (read|write), ` +
                        "(not present|protection violation)\\): (KERN_[A-Z_]+)$",
                    "m",
                ),
            );
        const nul = kill(1);
        expect(nul, "the kill line of faulty null").not.toBeNull();
        expect(parseInt(nul![1]!, 16)).toBe(0);
        expect(in_text(parseInt(nul![2]!, 16))).toBe(true);
        expect(nul!.slice(3)).toEqual(["read", "not present", "KERN_INVALID_ADDRESS"]);

        const target = num(c, /^faulty: about to write into my own text at 0x([0-9a-f]{8})$/m, 16);
        expect(in_text(target), "faulty's write target is in its text").toBe(true);
        const txt = kill(2);
        expect(txt, "the kill line of faulty text").not.toBeNull();
        expect(parseInt(txt![1]!, 16)).toBe(target);
        expect(in_text(parseInt(txt![2]!, 16))).toBe(true);
        expect(txt!.slice(3)).toEqual(["write", "protection violation", "KERN_PROTECTION_FAILURE"]);

        expect(c).toMatch(/^faulty: system call 999 returned kr=4 \(KERN_INVALID_ARGUMENT\)/m);
        expect(c).toMatch(
            /^faulty: vm_allocate\(addr pointer 0x10\) returned kr=1 \(KERN_INVALID_ADDRESS\)/m,
        );
        expect(c).not.toMatch(/faulty: survived/);

        const u = r.user!;
        expect(u.tasks.map((t) => [t.name, t.id, t.state, t.exit_code])).toEqual([
            ["/bin/faulty", 1, "killed", 0],
            ["/bin/faulty", 2, "killed", 0],
            ["/bin/faulty", 3, "exited", 0],
            ["/bin/faulty", 4, "exited", 0],
            ["/bin/hello", 5, "exited", 0],
        ]);
        expect(u.tasks[0]!.end).toBe(nul![0]!.replace(/^mach86: task \/bin\/faulty \(1\) /, ""));
        // hello ran to its end after both kills.
        const done = c.indexOf("hello: done");
        expect(done).toBeGreaterThan(c.indexOf(nul![0]!));
        expect(done).toBeGreaterThan(c.indexOf(txt![0]!));
        expect(c.indexOf("mach86: task /bin/hello (5) exited with code 0")).toBeGreaterThan(done);
        expect_clean_after_tasks(r);
    });

    it("the CLI exits 1 when a task was killed (and 0 for the same kind of run where none was)", () => {
        const bad = cli(["boot", img("user-faulty"), "--quiet"]);
        expect(bad.code).toBe(1);
        expect(bad.stderr).toMatch(
            /mach86: user tasks: \/bin\/faulty killed: page fault at 0x00000000/,
        );
        expect(bad.stderr).not.toMatch(/at Object\.|\n\s+at /); // no host stack trace
        const good = cli(["boot", img("user-hello"), "--quiet"]);
        expect(good.code).toBe(0);
        expect(good.stderr).toMatch(/mach86: user tasks: \/bin\/hello exited with code 0/);
    });
});

describe("determinism under paging", () => {
    it("pressure-swap at 16M twice: identical console and identical user counters", async () => {
        const o = { image: img("pressure-swap"), memory: "16M" };
        const a = await bootImage(o);
        const b = await bootImage(o);
        expect(a.status, a.reason).toBe("ok");
        // The run must actually page, or the comparison says little.
        expect(a.user!.pageouts).toBeGreaterThan(0);
        expect(a.user!.pageins).toBeGreaterThan(0);
        expect(a.user!.context_switches + a.user!.ticks).toBeGreaterThan(0);
        expect(b.console).toBe(a.console);
        expect(b.user).toEqual(a.user);
        expect(b.kernel!.vm!.stats).toEqual(a.kernel!.vm!.stats);
        expect(b.kernel!.vm_page!.stats).toEqual(a.kernel!.vm_page!.stats);
    });
});
