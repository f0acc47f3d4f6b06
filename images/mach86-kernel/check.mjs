#!/usr/bin/env node
// Host-free checks of the mach86-kernel stub image.
//
//   node check.mjs [ELF]                      print and check the header and layout
//   node check.mjs [ELF] --pad-bss N OUT      also write a copy whose header's
//                                             bss_end_addr is raised by N bytes
//                                             (suffix K or M), as mach86's
//                                             --set kernel_bss does
//
// Checks: the multiboot header is 4-aligned in the first 8 KiB with a valid
// checksum; flags have bit 16 (a.out kludge) and bit 1 (memory info); the
// kludge fields match the ELF (header_addr = where the header is loaded,
// load_addr = 0x100000, load_end_addr = _edata = end of .data,
// bss_end_addr = _bss_pad_start = end of .bss, entry_addr = e_entry =
// _start); both PT_LOAD segments keep file offset - address constant, so the
// kludge loads the same bytes as the program headers; the boot page
// directory and page tables are page-aligned in the real bss, below
// _bss_pad_start, as are the IDT and the stack; the GDT has the kernel and
// user segments and the TSS descriptor (base filled in at run time); the TSS
// is 104 bytes of loaded data with ss0 = 0x10, esp0 = boot_stack_top (made
// high-half at run time) and no I/O bitmap; trap_return ends with
// popal / addl $8,%esp / iret (the 60-byte frame). Exit status 1 on failure.
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
let file = join(here, '../../build/images/mach86-kernel.elf');
let pad = null;
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--pad-bss') {
    pad = { bytes: parseSize(args[i + 1]), out: args[i + 2] };
    if (!pad.out || !(pad.bytes >= 0)) usage();
    i += 2;
  } else if (args[i].startsWith('-')) {
    usage();
  } else {
    file = args[i];
  }
}

function usage() {
  console.error('usage: node check.mjs [ELF] [--pad-bss N[K|M] OUT]');
  process.exit(2);
}

function parseSize(s) {
  const m = /^(\d+|0x[0-9a-f]+)([KM]?)$/i.exec(s ?? '');
  if (!m) return NaN;
  return Number(m[1]) * ({ '': 1, K: 1024, M: 1 << 20 })[m[2].toUpperCase()];
}

const MB_MAGIC = 0x1badb002;
const buf = readFileSync(file);
const u32 = (o) => buf.readUInt32LE(o);
const u16 = (o) => buf.readUInt16LE(o);
const hex = (v) => '0x' + (v >>> 0).toString(16).padStart(8, '0');
const errs = [];
const fail = (msg) => errs.push(msg);

// --- ELF: program headers, sections, symbols -------------------------------
if (buf.length < 52 || buf.readUInt32BE(0) !== 0x7f454c46) {
  console.log(`FAIL ${file}: not an ELF file`);
  process.exit(1);
}
if (buf[4] !== 1 || buf[5] !== 1 || u16(16) !== 2 || u16(18) !== 3) {
  fail('not a little-endian ELF32 i386 executable');
}
const entry = u32(24);
const phoff = u32(28), phentsize = u16(42), phnum = u16(44);
const shoff = u32(32), shentsize = u16(46), shnum = u16(48), shstrndx = u16(50);

const loads = [];
for (let i = 0; i < phnum; i++) {
  const p = phoff + i * phentsize;
  if (u32(p) !== 1) continue;
  loads.push({
    offset: u32(p + 4), vaddr: u32(p + 8), paddr: u32(p + 12),
    filesz: u32(p + 16), memsz: u32(p + 20), flags: u32(p + 24),
  });
}

const cstr = (o) => {
  let e = o;
  while (buf[e]) e++;
  return buf.toString('latin1', o, e);
};
const sections = [];
for (let i = 0; i < shnum; i++) {
  const s = shoff + i * shentsize;
  sections.push({
    nameOff: u32(s), type: u32(s + 4), addr: u32(s + 12), offset: u32(s + 16),
    size: u32(s + 20), link: u32(s + 24), entsize: u32(s + 36),
  });
}
const shstr = sections[shstrndx];
for (const s of sections) s.name = shstr ? cstr(shstr.offset + s.nameOff) : '?';
const sec = (name) => sections.find((s) => s.name === name);

const sym = {};
const symSize = {};
const symtab = sections.find((s) => s.type === 2);
if (symtab) {
  const strtab = sections[symtab.link];
  for (let o = symtab.offset; o < symtab.offset + symtab.size; o += symtab.entsize || 16) {
    const name = cstr(strtab.offset + u32(o));
    if (name) {
      sym[name] = u32(o + 4);
      symSize[name] = u32(o + 8);
    }
  }
} else {
  fail('no symbol table (cannot check the layout)');
}
const need = (name) => {
  if (!(name in sym)) fail(`symbol ${name} missing`);
  return sym[name] ?? 0;
};

// --- the multiboot header ----------------------------------------------------
let hoff = -1;
for (let o = 0; o + 12 <= Math.min(buf.length, 8192); o += 4) {
  if (u32(o) === MB_MAGIC && ((u32(o) + u32(o + 4) + u32(o + 8)) >>> 0) === 0) {
    hoff = o;
    break;
  }
}
if (hoff < 0) {
  console.log(`FAIL ${file}: no multiboot header with a valid checksum in the first 8 KiB`);
  process.exit(1);
}
const flags = u32(hoff + 4);
const f = (i) => u32(hoff + 12 + 4 * i);
const hdr = {
  header_addr: f(0), load_addr: f(1), load_end_addr: f(2),
  bss_end_addr: f(3), entry_addr: f(4),
};

console.log(`${file}`);
console.log(`multiboot header at file offset ${hex(hoff)}`);
console.log(`  magic          ${hex(u32(hoff))}`);
console.log(`  flags          ${hex(flags)}`);
console.log(`  checksum       ${hex(u32(hoff + 8))} (sum ${hex(u32(hoff) + flags + u32(hoff + 8))})`);
for (const [k, v] of Object.entries(hdr)) console.log(`  ${k.padEnd(14)} ${hex(v)}`);
console.log(`  bss_end_addr field at file offset ${hex(hoff + 24)}, physical ${hex(hdr.header_addr + 24)}`);

if (!(flags & (1 << 16))) fail('flag 16 (a.out kludge) not set');
if (!(flags & (1 << 1))) fail('flag 1 (memory info) not set');
if (hoff + 32 > 8192) fail('kludge fields not within the first 8 KiB');

// The file offset of a physical address, through the PT_LOADs.
const fileOffOf = (pa) => {
  const l = loads.find((l) => pa >= l.paddr && pa < l.paddr + l.filesz);
  return l ? l.offset + (pa - l.paddr) : -1;
};
if (fileOffOf(hdr.header_addr) !== hoff) fail('header_addr is not where the ELF loads the header');
if (hdr.load_addr !== 0x100000) fail('load_addr is not 0x100000');
if (hdr.load_addr !== need('_kernel_start')) fail('load_addr != _kernel_start');
if (hdr.load_end_addr !== need('_edata')) fail('load_end_addr != _edata');
const data = sec('.data');
if (data && hdr.load_end_addr !== data.addr + data.size) fail('load_end_addr is not the end of .data');
if (hdr.bss_end_addr !== need('_bss_pad_start')) fail('bss_end_addr != _bss_pad_start');
const bss = sec('.bss');
if (bss && hdr.bss_end_addr < bss.addr + bss.size) fail('bss_end_addr below the end of .bss');
if (hdr.entry_addr !== entry || entry !== need('_start')) fail('entry_addr, e_entry and _start differ');

// The kludge copies file[hoff - (header_addr - load_addr), + load size): it
// must give each PT_LOAD's bytes at its address.
const kludgeBase = hoff - (hdr.header_addr - hdr.load_addr); // file offset of load_addr
for (const l of loads) {
  if (l.vaddr !== l.paddr) fail(`PT_LOAD ${hex(l.vaddr)}: vaddr != paddr`);
  if (l.filesz && l.offset - l.paddr !== kludgeBase - hdr.load_addr) {
    fail(`PT_LOAD at ${hex(l.paddr)}: file offset ${hex(l.offset)} breaks the kludge's contiguous load`);
  }
  if (l.filesz && l.paddr + l.filesz > hdr.load_end_addr) fail(`PT_LOAD at ${hex(l.paddr)} ends past load_end_addr`);
}
const memEnd = Math.max(...loads.map((l) => l.paddr + l.memsz));
if (memEnd !== hdr.bss_end_addr) fail(`PT_LOADs end at ${hex(memEnd)}, bss_end_addr is ${hex(hdr.bss_end_addr)}`);
if (kludgeBase + (hdr.load_end_addr - hdr.load_addr) > buf.length) fail('file too short for the kludge load area');
console.log(`kludge load area: file ${hex(kludgeBase)}..${hex(kludgeBase + hdr.load_end_addr - hdr.load_addr)}` +
  ` -> ${hex(hdr.load_addr)}..${hex(hdr.load_end_addr)}, bss ..${hex(hdr.bss_end_addr)}`);
for (const l of loads) {
  console.log(`PT_LOAD off ${hex(l.offset)} pa ${hex(l.paddr)} filesz ${hex(l.filesz)} memsz ${hex(l.memsz)} ` +
    `${l.flags & 4 ? 'R' : '-'}${l.flags & 2 ? 'W' : '-'}${l.flags & 1 ? 'X' : '-'}`);
}

// --- layout ------------------------------------------------------------------
const L = {};
for (const n of ['_kernel_start', 'mb_header', 'mb_bss_end_addr', '_start', 'halt', 'run_user', 'trap_vectors',
  'trap_noerr', 'trap_err', 'trap_return',
  'gdt', 'gdt_desc', 'idt_desc', 'tss', 'stub_kernelbase', 'stub_boot_ptps', 'stub_mbi', 'stub_bss_end', 'stub_no_host',
  'stub_pit_divisor', '_edata', 'boot_pd', 'boot_ptps', 'idt', 'boot_stack', 'boot_stack_top', '_bss_pad_start', '_end']) {
  L[n] = need(n);
}
if (L.mb_bss_end_addr !== hdr.header_addr + 24) fail('mb_bss_end_addr is not the header\'s bss_end_addr field');
if (L.boot_pd % 4096) fail('boot_pd is not page-aligned');
if (L.boot_ptps % 4096) fail('boot_ptps is not page-aligned');
if (L.idt - L.boot_ptps < 16 * 4096 && L.idt > L.boot_ptps) fail('fewer than 16 boot page-table pages');
if (L.idt % 8) fail('idt is not 8-aligned');
if (L.boot_stack_top % 16) fail('boot_stack_top is not 16-aligned');
for (const n of ['boot_pd', 'boot_ptps', 'idt', 'boot_stack', 'boot_stack_top']) {
  if (bss && (L[n] < bss.addr || L[n] > bss.addr + bss.size)) fail(`${n} is not in .bss`);
  if (L[n] > L._bss_pad_start) fail(`${n} is above _bss_pad_start`);
}
if (L._bss_pad_start < L.boot_stack_top) fail('_bss_pad_start below the stack top');
if (L._bss_pad_start % 4) fail('_bss_pad_start is not 4-aligned');
const vectors = [];
for (let pa = L.trap_vectors; ; pa += 12) {
  const o = fileOffOf(pa);
  if (o < 0) {
    fail('trap_vectors runs off the file');
    break;
  }
  const v = u32(o) | 0;
  if (v === -1) break;
  vectors.push({ v, stub: u32(o + 4), attr: u32(o + 8) });
}
// A stub for a vector without a CPU error code starts with push $0 then push $vector.
function cpuErr(stub) {
  const o = fileOffOf(stub);
  return !(buf[o] === 0x6a && buf[o + 1] === 0x00 && (buf[o + 2] === 0x6a || buf[o + 2] === 0x68));
}
const want = [...Array(48).keys(), 0x80];
const got = vectors.map((x) => x.v).sort((a, b) => a - b);
if (got.join() !== want.join()) fail(`IDT vectors ${got.join(',')} != 0..47,128`);
for (const x of vectors) {
  const attr = x.v === 0x80 ? 0xee00 : 0x8e00;
  if (x.attr !== attr) fail(`vector ${x.v}: gate attributes ${hex(x.attr)}, want ${hex(attr)}`);
  // error-code vectors jump straight to trap_err; the others push a 0 first
  const pushesZero = !cpuErr(x.stub);
  const errVec = [8, 10, 11, 12, 13, 14, 17, 21, 29, 30].includes(x.v);
  if (pushesZero === errVec) fail(`vector ${x.v}: error code handling wrong`);
}

// --- GDT and TSS (as loaded; the stub patches the TSS base and esp0) ----------
const GDT = [
  ['null', 0x00000000, 0x00000000],
  ['kernel code', 0x0000ffff, 0x00cf9a00],
  ['kernel data', 0x0000ffff, 0x00cf9200],
  ['user code', 0x0000ffff, 0x00cffa00],
  ['user data', 0x0000ffff, 0x00cff200],
  ['TSS', 0x00000067, 0x00008900], // base 0 here: KERNELBASE + tss at run time
];
const gdtOff = fileOffOf(L.gdt);
if (gdtOff < 0 || L.gdt >= L._edata) fail('gdt is not in the loaded data');
else {
  GDT.forEach(([what, lo, hi], i) => {
    const [glo, ghi] = [u32(gdtOff + 8 * i), u32(gdtOff + 8 * i + 4)];
    if (glo !== lo || ghi !== hi) {
      fail(`GDT ${hex(8 * i)} (${what}) is ${hex(ghi)}:${hex(glo)}, want ${hex(hi)}:${hex(lo)}`);
    }
  });
}
if (L.gdt % 8) fail('gdt is not 8-aligned');
const gdtDescOff = fileOffOf(L.gdt_desc);
if (gdtDescOff >= 0 && u16(gdtDescOff) !== GDT.length * 8 - 1) {
  fail(`GDTR limit ${hex(u16(gdtDescOff))}, want ${hex(GDT.length * 8 - 1)}`);
}
if ((L.gdt_desc + 2) % 4) fail('the GDTR base field is not 4-aligned');
const tssOff = fileOffOf(L.tss);
if (symSize.tss !== 104) fail(`tss is ${symSize.tss} bytes, want 104`);
if (L.tss % 4) fail('tss is not 4-aligned');
if (tssOff < 0 || L.tss + 104 > L._edata) fail('tss is not in the loaded data');
else {
  if (u32(tssOff + 4) !== L.boot_stack_top) fail(`TSS esp0 ${hex(u32(tssOff + 4))}, want boot_stack_top`);
  if (u16(tssOff + 8) !== 0x10) fail(`TSS ss0 ${hex(u16(tssOff + 8))}, want 0x10`);
  if (u16(tssOff + 102) !== 104) fail(`TSS I/O map base ${u16(tssOff + 102)}, want 104 (no bitmap)`);
}
// trap_return pops the 60-byte frame: popal; addl $8,%esp; iret.
{
  const o = fileOffOf(L.trap_return);
  const n = symSize.trap_return || 64;
  const body = o < 0 ? Buffer.alloc(0) : buf.subarray(o, o + n);
  if (!body.includes(Buffer.from([0x61, 0x83, 0xc4, 0x08, 0xcf]))) {
    fail('trap_return does not end with popal; addl $8,%esp; iret');
  }
}

console.log('layout (physical; running address = KERNELBASE + physical once paging is on):');
for (const [n, v] of Object.entries(L).sort((a, b) => a[1] - b[1])) console.log(`  ${hex(v)}  ${n}`);
console.log(`  boot PD ${hex(L.boot_pd)}, 16 page-table pages ${hex(L.boot_ptps)}..${hex(L.boot_ptps + 16 * 4096)}, ` +
  `IDT ${hex(L.idt)} (256 gates), stack ${hex(L.boot_stack)}..${hex(L.boot_stack_top)}`);
console.log(`  GDT: ${GDT.map(([w], i) => `${hex(8 * i).slice(-2)} ${w}`).join(', ')}; ` +
  `TSS ${hex(L.tss)} (104 bytes, base KERNELBASE + tss in the descriptor at run time)`);
console.log(`  IDT vectors: ${vectors.length} (0-31, 0x20-0x2f, 0x80); error code from the CPU on ` +
  vectors.filter((x) => cpuErr(x.stub)).map((x) => x.v).sort((a, b) => a - b).join(','));

if (pad) {
  const out = Buffer.from(buf);
  const nb = hdr.bss_end_addr + pad.bytes;
  out.writeUInt32LE(nb >>> 0, hoff + 24);
  writeFileSync(pad.out, out);
  console.log(`wrote ${pad.out}: bss_end_addr ${hex(hdr.bss_end_addr)} -> ${hex(nb)} (+${pad.bytes} bytes)`);
}

if (errs.length) {
  for (const e of errs) console.log(`FAIL ${e}`);
  process.exit(1);
}
console.log('ok');
