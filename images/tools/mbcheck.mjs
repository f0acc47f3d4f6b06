#!/usr/bin/env node
// Static checks for mach86 test kernels (multiboot v1):
//  - a multiboot header, 4-byte aligned, inside the first 8 KiB, checksum ok
//  - ELF files: 32-bit little-endian i386 executables whose PT_LOAD segments
//    sit at or above 1 MiB and contain the entry point
//  - a.out kludge (flag 16): address fields consistent with the file
// Usage: node tools/mbcheck.mjs FILE...   (exit 1 on any failure)
import { readFileSync } from 'node:fs';

const MB_MAGIC = 0x1badb002;
const SEARCH = 8192;

function findHeader(buf) {
  const lim = Math.min(buf.length, SEARCH) - 12;
  for (let off = 0; off <= lim; off += 4) {
    const magic = buf.readUInt32LE(off);
    if (magic !== MB_MAGIC) continue;
    const flags = buf.readUInt32LE(off + 4);
    const sum = buf.readUInt32LE(off + 8);
    if (((magic + flags + sum) >>> 0) === 0) return { off, flags };
  }
  return null;
}

function checkElf(buf, errs) {
  if (buf[4] !== 1) errs.push('not ELFCLASS32');
  if (buf[5] !== 1) errs.push('not little-endian');
  if (buf.readUInt16LE(16) !== 2) errs.push('not ET_EXEC');
  if (buf.readUInt16LE(18) !== 3) errs.push('e_machine is not EM_386');
  const entry = buf.readUInt32LE(24);
  const phoff = buf.readUInt32LE(28);
  const phentsize = buf.readUInt16LE(42);
  const phnum = buf.readUInt16LE(44);
  let entryOk = false;
  let loads = 0;
  for (let i = 0; i < phnum; i++) {
    const p = phoff + i * phentsize;
    if (buf.readUInt32LE(p) !== 1) continue; // PT_LOAD
    loads++;
    const vaddr = buf.readUInt32LE(p + 8);
    const paddr = buf.readUInt32LE(p + 12);
    const memsz = buf.readUInt32LE(p + 20);
    const flags = buf.readUInt32LE(p + 24);
    if (paddr < 0x100000) errs.push(`PT_LOAD at paddr 0x${paddr.toString(16)} is below 1 MiB`);
    if ((flags & 1) && entry >= vaddr && entry < vaddr + memsz) entryOk = true;
  }
  if (!loads) errs.push('no PT_LOAD segment');
  if (!entryOk) errs.push(`entry 0x${entry.toString(16)} is not in an executable PT_LOAD`);
  return `entry=0x${entry.toString(16)} loads=${loads}`;
}

function checkAout(buf, hdr, errs) {
  const f = (i) => buf.readUInt32LE(hdr.off + 12 + 4 * i);
  const [headerAddr, loadAddr, loadEnd, bssEnd, entry] = [0, 1, 2, 3, 4].map(f);
  const fileStart = headerAddr - hdr.off; // address of file byte 0
  if (loadAddr > headerAddr) errs.push('load_addr above header_addr');
  if (loadAddr < fileStart) errs.push('load_addr before the start of the file');
  const loadEnd2 = loadEnd || fileStart + buf.length;
  if (loadEnd2 - fileStart > buf.length) errs.push(`file too short: needs ${loadEnd2 - fileStart} bytes, has ${buf.length}`);
  if (bssEnd && bssEnd < loadEnd2) errs.push('bss_end_addr below load_end_addr');
  if (entry < loadAddr || entry >= loadEnd2) errs.push('entry_addr outside the loaded range');
  const h = (v) => '0x' + v.toString(16);
  return `header=${h(headerAddr)} load=${h(loadAddr)}..${h(loadEnd)} bss_end=${h(bssEnd)} entry=${h(entry)}`;
}

let failed = 0;
for (const file of process.argv.slice(2)) {
  const buf = readFileSync(file);
  const errs = [];
  const isElf = buf.length >= 52 && buf.readUInt32BE(0) === 0x7f454c46;
  let info = '';
  if (isElf) info += checkElf(buf, errs) + ' ';
  const hdr = findHeader(buf);
  if (!hdr) {
    errs.push('no valid multiboot header in the first 8 KiB');
  } else {
    info += `mb_off=0x${hdr.off.toString(16)} mb_flags=0x${hdr.flags.toString(16)}`;
    if (hdr.flags & 0x10000) info += ' ' + checkAout(buf, hdr, errs);
    else if (!isElf) errs.push('not ELF and no a.out kludge (flag 16)');
  }
  if (errs.length) {
    failed++;
    console.log(`FAIL ${file}: ${errs.join('; ')}`);
  } else {
    console.log(`ok   ${file}: ${isElf ? 'ELF32 i386 ' : 'flat '}${info}`);
  }
}
process.exit(failed ? 1 : 0);
