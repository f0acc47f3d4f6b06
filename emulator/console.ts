/*
 * emulator/console.ts — a console: COM1, or the debug console at 0xE9.
 *
 * Bytes from the guest's serial port are kept (for tests, crash reports and
 * --json) and streamed to a sink in chunks, so a long-running guest shows its
 * output live without one write per byte.
 */

export type ConsoleSink = (chunk: Uint8Array) => void;

export class SerialConsole {
    private readonly chunks: Uint8Array[] = [];
    private pending: number[] = [];
    private total = 0;

    private readonly sink: ConsoleSink | undefined;
    private readonly watchers: ((byte: number) => void)[] = [];

    constructor(sink?: ConsoleSink) {
        this.sink = sink;
    }

    /**
     * Call `fn` with each byte as the guest writes it, inside its OUT: a
     * Machine.stop() from there stops right after that byte.
     */
    watch(fn: (byte: number) => void): void {
        this.watchers.push(fn);
    }

    put(byte: number): void {
        for (const w of this.watchers) w(byte);
        this.pending.push(byte);
        if (byte === 0x0a || this.pending.length >= 4096) this.flush();
    }

    /** Text written by the host on the guest's behalf (the modelled kernel's printf). */
    write(text: string): void {
        for (const b of new TextEncoder().encode(text)) this.put(b);
    }

    /** Hand buffered bytes to the sink (called at newlines and when the machine yields). */
    flush(): void {
        if (this.pending.length === 0) return;
        const chunk = Uint8Array.from(this.pending);
        this.pending = [];
        this.chunks.push(chunk);
        this.total += chunk.length;
        this.sink?.(chunk);
    }

    bytes(): Uint8Array {
        this.flush();
        const out = new Uint8Array(this.total);
        let at = 0;
        for (const c of this.chunks) {
            out.set(c, at);
            at += c.length;
        }
        return out;
    }

    text(): string {
        return new TextDecoder().decode(this.bytes());
    }

    /** The last `n` lines (an unterminated last line counts), for crash reports. */
    tail(n: number): string[] {
        const lines = this.text().split("\n");
        if (lines.at(-1) === "") lines.pop();
        return lines.slice(-n);
    }
}
