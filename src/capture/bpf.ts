/**
 * A classic BPF interpreter: runs a program compiled by libpcap (tcpdump -ddd)
 * on one packet, as the kernel or libpcap's bpf_filter() would, so filters
 * apply to capture files with exactly tcpdump's meaning.
 *
 * An instruction is four numbers: opcode, jt, jf, k (struct bpf_insn,
 * pcap/bpf.h). The opcode's low 3 bits are its class:
 *
 *    LD   0x00  A = <load>          size W 0x00 H 0x08 B 0x10
 *    LDX  0x01  X = <load>          mode IMM 0x00 ABS 0x20 IND 0x40 MEM 0x60
 *    ST   0x02  M[k] = A                 LEN 0x80 MSH 0xa0 (X = 4*(P[k]&0xf))
 *    STX  0x03  M[k] = X
 *    ALU  0x04  A = A <op> (k or X) op ADD SUB MUL DIV OR AND LSH RSH NEG MOD XOR
 *    JMP  0x05  pc += k, or jt/jf   op JA JEQ JGT JGE JSET, against k or X
 *    RET  0x06  accept k / A bytes  (0 = reject)
 *    MISC 0x07  TAX 0x00, TXA 0x80
 *
 * As in libpcap, a load beyond the captured bytes or a division by zero
 * rejects the packet. Registers are unsigned 32-bit.
 */

const CLASS_LD = 0x00;
const CLASS_LDX = 0x01;
const CLASS_ST = 0x02;
const CLASS_STX = 0x03;
const CLASS_ALU = 0x04;
const CLASS_JMP = 0x05;
const CLASS_RET = 0x06;
const CLASS_MISC = 0x07;

const SIZE_W = 0x00;
const SIZE_H = 0x08;
const SIZE_B = 0x10;
const MODE_IMM = 0x00;
const MODE_ABS = 0x20;
const MODE_IND = 0x40;
const MODE_MEM = 0x60;
const MODE_LEN = 0x80;
const MODE_MSH = 0xa0;

const ALU_ADD = 0x00;
const ALU_SUB = 0x10;
const ALU_MUL = 0x20;
const ALU_DIV = 0x30;
const ALU_OR = 0x40;
const ALU_AND = 0x50;
const ALU_LSH = 0x60;
const ALU_RSH = 0x70;
const ALU_NEG = 0x80;
const ALU_MOD = 0x90;
const ALU_XOR = 0xa0;
const SRC_X = 0x08;

const JMP_JA = 0x00;
const JMP_JEQ = 0x10;
const JMP_JGT = 0x20;
const JMP_JGE = 0x30;
const JMP_JSET = 0x40;

const RET_A = 0x10;
const RET_X = 0x08;
const MISC_TXA = 0x80;

/** BPF_MEMWORDS: the scratch memory of a program. */
const MEMORY_WORDS = 16;

export class BpfProgram {
  private readonly code: Uint16Array;
  private readonly jt: Uint8Array;
  private readonly jf: Uint8Array;
  private readonly k: Uint32Array;
  private readonly memory = new Uint32Array(MEMORY_WORDS);

  /** `insns`: opcode, jt, jf, k for each instruction, as `tcpdump -ddd` prints them. */
  constructor(insns: ArrayLike<number>) {
    const n = insns.length / 4;
    if (n < 1 || !Number.isInteger(n)) throw new Error(`a BPF program is a whole number of 4-number instructions, not ${insns.length} numbers`);
    this.code = new Uint16Array(n);
    this.jt = new Uint8Array(n);
    this.jf = new Uint8Array(n);
    this.k = new Uint32Array(n);
    for (let i = 0; i < n; i++) {
      this.code[i] = insns[4 * i]!;
      this.jt[i] = insns[4 * i + 1]!;
      this.jf[i] = insns[4 * i + 2]!;
      this.k[i] = insns[4 * i + 3]! >>> 0;
    }
    this.validate();
  }

  /** Parses `tcpdump -ddd` output: the instruction count, then one instruction a line. */
  static fromTcpdump(text: string): BpfProgram {
    const lines = text.trim().split('\n');
    const count = Number(lines[0]);
    const numbers = lines.slice(1).flatMap((l) => l.trim().split(/\s+/).map(Number));
    if (!Number.isInteger(count) || numbers.length !== count * 4 || numbers.some((x) => !Number.isFinite(x))) {
      throw new Error(`not a BPF program: ${lines[0]}`);
    }
    return new BpfProgram(numbers);
  }

  /**
   * libpcap's bpf_validate(): jumps land inside the program and go forward,
   * scratch memory indexes are in range, the program ends with a return. So
   * run() can skip those checks.
   */
  private validate(): void {
    const n = this.code.length;
    for (let pc = 0; pc < n; pc++) {
      const code = this.code[pc]!;
      const k = this.k[pc]!;
      const cls = code & 0x07;
      if (cls === CLASS_JMP) {
        const far = (code & 0xf0) === JMP_JA ? pc + 1 + k : pc + 1 + Math.max(this.jt[pc]!, this.jf[pc]!);
        if (far >= n) throw new Error(`BPF jump out of the program at instruction ${pc}`);
      } else if (cls === CLASS_ST || cls === CLASS_STX || ((cls === CLASS_LD || cls === CLASS_LDX) && (code & 0xe0) === MODE_MEM)) {
        if (k >= MEMORY_WORDS) throw new Error(`BPF scratch memory index ${k} out of range at instruction ${pc}`);
      }
    }
    if ((this.code[n - 1]! & 0x07) !== CLASS_RET) throw new Error('BPF program does not end with a return');
  }

  /** Runs the program on data[start, start+caplen) of a `wirelen`-byte packet: true when it accepts. */
  matches(data: Buffer, start: number, caplen: number, wirelen: number): boolean {
    const code = this.code;
    const jt = this.jt;
    const jf = this.jf;
    const kk = this.k;
    const mem = this.memory;
    let a = 0;
    let x = 0;
    for (let pc = 0; ; pc++) {
      const op = code[pc]!;
      const k = kk[pc]!;
      switch (op & 0x07) {
        case CLASS_LD:
        case CLASS_LDX: {
          let v: number;
          const mode = op & 0xe0;
          if (mode === MODE_IMM) v = k;
          else if (mode === MODE_LEN) v = wirelen;
          else if (mode === MODE_MEM) v = mem[k]!;
          else {
            const at = mode === MODE_IND ? x + k : k;
            const size = op & 0x18;
            const width = size === SIZE_W ? 4 : size === SIZE_H ? 2 : 1;
            if (at + width > caplen || at > 0xffffffff) return false;
            const i = start + at;
            if (mode === MODE_MSH) {
              v = (data[i]! & 0x0f) << 2;
            } else if (size === SIZE_W) v = ((data[i]! << 24) | (data[i + 1]! << 16) | (data[i + 2]! << 8) | data[i + 3]!) >>> 0;
            else if (size === SIZE_H) v = (data[i]! << 8) | data[i + 1]!;
            else if (size === SIZE_B) v = data[i]!;
            else return false;
          }
          if ((op & 0x07) === CLASS_LD) a = v;
          else x = v;
          break;
        }
        case CLASS_ST:
          mem[k] = a;
          break;
        case CLASS_STX:
          mem[k] = x;
          break;
        case CLASS_ALU: {
          const operand = op & SRC_X ? x : k;
          switch (op & 0xf0) {
            case ALU_ADD:
              a = (a + operand) >>> 0;
              break;
            case ALU_SUB:
              a = (a - operand) >>> 0;
              break;
            case ALU_MUL:
              a = Math.imul(a, operand) >>> 0;
              break;
            case ALU_DIV:
              if (operand === 0) return false;
              a = Math.floor(a / operand) >>> 0;
              break;
            case ALU_MOD:
              if (operand === 0) return false;
              a = a % operand >>> 0;
              break;
            case ALU_OR:
              a = (a | operand) >>> 0;
              break;
            case ALU_AND:
              a = (a & operand) >>> 0;
              break;
            case ALU_XOR:
              a = (a ^ operand) >>> 0;
              break;
            case ALU_LSH:
              a = operand < 32 ? (a << operand) >>> 0 : 0;
              break;
            case ALU_RSH:
              a = operand < 32 ? a >>> operand : 0;
              break;
            case ALU_NEG:
              a = -a >>> 0;
              break;
            default:
              return false;
          }
          break;
        }
        case CLASS_JMP: {
          const operand = op & SRC_X ? x : k;
          switch (op & 0xf0) {
            case JMP_JA:
              pc += k;
              break;
            case JMP_JEQ:
              pc += a === operand ? jt[pc]! : jf[pc]!;
              break;
            case JMP_JGT:
              pc += a > operand ? jt[pc]! : jf[pc]!;
              break;
            case JMP_JGE:
              pc += a >= operand ? jt[pc]! : jf[pc]!;
              break;
            case JMP_JSET:
              pc += (a & operand) !== 0 ? jt[pc]! : jf[pc]!;
              break;
            default:
              return false;
          }
          break;
        }
        case CLASS_RET:
          return (op & 0x18) === RET_A ? a !== 0 : (op & 0x18) === RET_X ? x !== 0 : k !== 0;
        case CLASS_MISC:
          if (op & MISC_TXA) a = x;
          else x = a;
          break;
      }
    }
  }
}
