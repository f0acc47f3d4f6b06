/*
 * test/unit/kernel/kern/syscall_sw.test.ts — task_info (SYS_task_info) as
 * the trap handler sees it, on a booted kernel (images/user-hello on the
 * none engine: the task is loaded, not run; the test builds its trap
 * frames and reads its memory with copyin). The numbers it expects come
 * from the model (the map's size, the pmap's resident count), never typed
 * in. Ends with the kernel's own consistency checks.
 */
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { booted } from "../../../../kernel/kern/kernel.ts";
import { bootImage } from "../../../../lib/index.ts";
import { copyin } from "../../../../kernel/i386/copyinout.ts";
import { kernel_verify } from "../../../../kernel/kern/kernel_verify.ts";
import {
    KERN_INVALID_ADDRESS,
    KERN_INVALID_ARGUMENT,
    KERN_SUCCESS,
} from "../../../../kernel/kern/kern_return.ts";
import { SYS, TASK_BASIC_INFO, syscall } from "../../../../kernel/kern/syscall_sw.ts";
import { FRAME, FRAME_WORDS } from "../../../../kernel/kern/thread.ts";
import { vm_map_lookup_entry } from "../../../../kernel/vm/vm_map.ts";
import { vm_allocate } from "../../../../kernel/vm/vm_user.ts";

const HELLO = join(import.meta.dirname, "../../../../images/user-hello");
const PG = 4096;

describe("task_info", () => {
    it("TASK_BASIC_INFO of a live task: its map size and resident pages; errors for a bad flavor, pointer or ended task", async () => {
        const r = await bootImage({ image: HELLO, engine: "none", memory: "16M" });
        expect(r.status, r.reason).toBe("ok");
        const k = booted(r.kernel!);
        const s = k.sched!;
        const task = s.tasks[0]!;
        const th = task.threads[0]!;
        // The out buffer away from 0, where the bad pointer 0x10 must stay unmapped.
        const buf = vm_allocate(task, 0x06000000, PG, false);
        expect(buf.kr).toBe(KERN_SUCCESS);
        expect(vm_map_lookup_entry(task.map!, 0x10).found).toBe(false);

        /** One system call from hello's thread; EAX after it. */
        const call = (n: number, a = 0, b = 0, c = 0): number => {
            const f = new Uint32Array(FRAME_WORDS);
            f[FRAME.EAX] = n;
            f[FRAME.EBX] = a;
            f[FRAME.ECX] = b;
            f[FRAME.EDX] = c;
            expect(syscall(k, s, th, f)).toBe(true);
            return f[FRAME.EAX]!;
        };
        const info = (): number[] => {
            const b = copyin(k, task, buf.addr, 12)!;
            const dv = new DataView(b.buffer);
            return [0, 4, 8].map((o) => dv.getUint32(o, true));
        };

        // The values are taken before the copyout, which faults the untouched out buffer in.
        const resident = task.pmap.resident_count;
        expect(resident).toBeGreaterThan(0);
        expect(call(SYS.task_info, 1, TASK_BASIC_INFO, buf.addr)).toBe(KERN_SUCCESS);
        expect(info()).toEqual([0, task.map!.size, resident * PG]);
        expect(task.pmap.resident_count).toBe(resident + 1);

        expect(call(SYS.task_info, 1, 2, buf.addr)).toBe(KERN_INVALID_ARGUMENT);
        expect(call(SYS.task_info, 1, 0, buf.addr)).toBe(KERN_INVALID_ARGUMENT);
        expect(call(SYS.task_info, 1, TASK_BASIC_INFO, 0x10)).toBe(KERN_INVALID_ADDRESS);
        expect(call(SYS.task_info, 999, TASK_BASIC_INFO, buf.addr)).toBe(KERN_INVALID_ARGUMENT);

        // A child that inherits the memory: the same map size, its own (empty) pmap.
        expect(call(SYS.task_create, 1, 1, buf.addr)).toBe(KERN_SUCCESS);
        const name = info()[0]!;
        const child = s.tasks[s.tasks.length - 1]!;
        expect(call(SYS.task_info, name, TASK_BASIC_INFO, buf.addr)).toBe(KERN_SUCCESS);
        expect(info()).toEqual([0, child.map!.size, child.pmap.resident_count * PG]);
        expect(child.map!.size).toBe(task.map!.size);

        // Once it has ended, its name designates nothing task_info can read.
        expect(call(SYS.task_terminate, name)).toBe(KERN_SUCCESS);
        expect(child.state).toBe("exited");
        expect(call(SYS.task_info, name, TASK_BASIC_INFO, buf.addr)).toBe(KERN_INVALID_ARGUMENT);
        expect(call(SYS.task_terminate, name)).toBe(KERN_INVALID_ARGUMENT);
        expect(kernel_verify(k)).toEqual([]);
    });
});
