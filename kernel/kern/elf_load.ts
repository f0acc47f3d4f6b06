/*
 * kernel/kern/elf_load.ts — models kern/bootstrap.c of GNU Mach 2014 for
 * user modules: exec_load with read_exec (each PT_LOAD: vm_allocate at its
 * pages, copyout of the file bytes from the module, vm_protect to the
 * segment's flags) and build_args_and_stack (a 64 KiB stack at
 * VM_MAX_ADDRESS − 64 KiB; at the top, argc, the argv pointers, 0, an
 * empty envp, 0, then the strings; ESP points at argc).
 *
 * Departure: a module that is not an ELF file at all (the d-i image's
 * filler payloads, which stand for binaries mach86 does not run) leaves
 * its task without a program instead of panicking "Cannot load
 * user-bootstrap image"; an ELF file that is not an i386 executable still
 * panics, with the reason.
 */
import type { BootedKernel } from "./kernel.ts";
import type { Task } from "./task.ts";
import { copyout } from "../i386/copyinout.ts";
import { round_page, trunc_page } from "../i386/vm_param.ts";
import { vm_allocate, vm_protect } from "../vm/vm_user.ts";
import { VM_PROT_ALL, VM_PROT_EXECUTE, VM_PROT_READ, VM_PROT_WRITE } from "../vm/vm_prot.ts";
import { hex } from "../../util/hex.ts";

const USER_STACK_SIZE = 64 * 1024;
const PT_LOAD = 1;

export interface ExecImage {
    entry: number;
    segments: { vaddr: number; memsz: number; filesz: number; offset: number; prot: number }[];
}

/** The loadable image of an ELF32 i386 executable; null = not ELF; a string = why it cannot run. */
export function elf_parse(b: Uint8Array): ExecImage | null | string {
    if (b.length < 52 || b[0] !== 0x7f || b[1] !== 0x45 || b[2] !== 0x4c || b[3] !== 0x46)
        return null;
    const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
    if (b[4] !== 1 || b[5] !== 1) return "not a 32-bit little-endian ELF file";
    if (dv.getUint16(16, true) !== 2) return "not an executable (e_type != ET_EXEC)";
    if (dv.getUint16(18, true) !== 3) return "not an i386 executable (e_machine != EM_386)";
    const phoff = dv.getUint32(28, true);
    const phentsize = dv.getUint16(42, true);
    const phnum = dv.getUint16(44, true);
    if (phentsize < 32 || phoff + phnum * phentsize > b.length)
        return "program headers outside the file";
    const segments: ExecImage["segments"] = [];
    for (let i = 0; i < phnum; i++) {
        const at = phoff + i * phentsize;
        if (dv.getUint32(at, true) !== PT_LOAD) continue;
        const offset = dv.getUint32(at + 4, true);
        const vaddr = dv.getUint32(at + 8, true);
        const filesz = dv.getUint32(at + 16, true);
        const memsz = dv.getUint32(at + 20, true);
        const flags = dv.getUint32(at + 24, true);
        if (memsz === 0) continue;
        if (filesz > memsz || offset + filesz > b.length)
            return `segment ${i} reaches past the end of the file`;
        const prot =
            (flags & 4 ? VM_PROT_READ : 0) |
            (flags & 2 ? VM_PROT_WRITE : 0) |
            (flags & 1 ? VM_PROT_EXECUTE : 0);
        segments.push({ vaddr, memsz, filesz, offset, prot });
    }
    if (segments.length === 0) return "no loadable segment";
    return { entry: dv.getUint32(24, true), segments };
}

/** read_exec for each segment; a string says what failed. */
export function exec_load(
    k: BootedKernel,
    task: Task,
    image: ExecImage,
    file: Uint8Array,
): string | null {
    for (const s of image.segments) {
        const start = trunc_page(s.vaddr);
        const end = round_page(s.vaddr + s.memsz);
        if (end > k.params.vm_min_kernel_address || end <= start)
            return `segment at ${hex(s.vaddr)} is outside user space`;
        const r = vm_allocate(task, start, end - start, false);
        if (r.kr) return `vm_allocate(${hex(start)}, ${end - start}) failed (${r.kr})`;
        if (
            s.filesz > 0 &&
            !copyout(k, task, s.vaddr, file.subarray(s.offset, s.offset + s.filesz))
        ) {
            return `copyout of segment at ${hex(s.vaddr)} failed`;
        }
        if (s.prot !== VM_PROT_ALL) vm_protect(task, start, end - start, false, s.prot);
    }
    return null;
}

/** build_args_and_stack: the initial user ESP. */
export function build_args_and_stack(k: BootedKernel, task: Task, argv: readonly string[]): number {
    const base = k.params.vm_min_kernel_address - USER_STACK_SIZE;
    vm_allocate(task, base, USER_STACK_SIZE, false);
    const enc = new TextEncoder();
    const strings = argv.map((a) => enc.encode(a + "\0"));
    const strlen = strings.reduce((n, s) => n + s.length, 0);
    const len = (4 + (argv.length + 1 + 1) * 4 + strlen + 3) & ~3;
    const sp = base + USER_STACK_SIZE - len;
    const block = new Uint8Array(len);
    const dv = new DataView(block.buffer);
    dv.setUint32(0, argv.length, true);
    let str = sp + 4 + (argv.length + 2) * 4;
    strings.forEach((s, i) => {
        dv.setUint32(4 + 4 * i, str, true);
        block.set(s, str - sp);
        str += s.length;
    });
    copyout(k, task, sp, block);
    return sp;
}
