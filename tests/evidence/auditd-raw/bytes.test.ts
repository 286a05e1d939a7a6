/**
 * Names that are not UTF-8 as JS strings: `textFromBytes` must agree with Python's
 * `bytes.decode('utf-8', 'surrogateescape')` (PEP 383, what `os.fsdecode` does), the reference
 * implementation, and `bytesFromText` must give every byte back.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  bytesFromText,
  showBytes,
  textFromBytes,
} from '../../../generators/evidence/auditd-raw/decode.ts';

const CASES = [
  Buffer.from('run-'),
  Buffer.concat([Buffer.from('run-'), Buffer.from([0xff, 0xfe])]),
  Buffer.from('café 5%+ 😀'),
  Buffer.from([0xc3, 0x28, 0xed, 0xa0, 0x80, 0xf0, 0x9f, 0x98]), // broken, surrogate, cut
  Buffer.from([0xe2, 0x82]), // a sequence cut at the end
  Buffer.from([0x80, 0xbf, 0xc0, 0xc1, 0xf5, 0xff]), // bytes that never start UTF-8
  ...Array.from({ length: 40 }, () => randomBytes(24)),
];

/** Python's reading of each case, as UTF-16 code units (hex), one line per case. */
function pythonReading(cases: Buffer[]): string[] {
  const script =
    "import sys\nfor h in sys.stdin.read().split():\n    print(bytes.fromhex(h).decode('utf-8', 'surrogateescape').encode('utf-16-le', 'surrogatepass').hex())";
  return execFileSync('python3', ['-c', script], {
    input: cases.map((c) => (c.length === 0 ? '' : c.toString('hex'))).join('\n'),
    encoding: 'utf8',
  })
    .trim()
    .split('\n');
}

describe('textFromBytes and bytesFromText', () => {
  it('read bytes as Python’s surrogateescape does, and give the same bytes back', () => {
    const expected = pythonReading(CASES);
    CASES.forEach((bytes, i) => {
      const text = textFromBytes(bytes);
      expect(Buffer.from(text, 'utf16le').toString('hex'), bytes.toString('hex')).toBe(expected[i]);
      expect(bytesFromText(text)).toEqual(bytes);
    });
  });

  it('keep a name that is not UTF-8 through JSON as escapes of lone surrogates', () => {
    const text = textFromBytes(Buffer.from([0x72, 0x75, 0x6e, 0x2d, 0xff, 0xfe]));
    expect(JSON.stringify(text)).toBe('"run-\\udcff\\udcfe"');
    expect(bytesFromText(JSON.parse(JSON.stringify(text)) as string)).toEqual(
      Buffer.from('run-\xff\xfe', 'latin1'),
    );
  });

  it('leave well-formed UTF-8 unchanged, including astral characters', () => {
    expect(textFromBytes(Buffer.from('é😀%'))).toBe('é😀%');
    expect(bytesFromText('é😀%')).toEqual(Buffer.from('é😀%'));
  });

  it('show each byte that is not UTF-8 as \\xff, as Python’s repr of the bytes does', () => {
    const bytes = Buffer.from('run-\xff\xfe', 'latin1');
    const python = execFileSync(
      'python3',
      ['-c', 'import sys; print(repr(bytes.fromhex(sys.argv[1]))[2:-1])', bytes.toString('hex')],
      { encoding: 'utf8' },
    ).trim();
    expect(showBytes(textFromBytes(bytes))).toBe(python);
    // A surrogate pair is a character, not two bytes.
    expect(showBytes('📿 \udcff')).toBe('📿 \\xff');
  });
});
