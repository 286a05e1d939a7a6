/**
 * Inline scripts in an exec's arguments (bash -c, python3 -c, perl -e...): the process family
 * adds them to exec events as `process.Ext.interpreter`.
 */

const q = JSON.stringify;

/** Interpreters whose arguments can carry a whole script, and the flags that introduce it. */
const SCRIPT_FLAGS: ReadonlyMap<string, readonly string[]> = new Map([
  ['bash', ['-c']],
  ['sh', ['-c']],
  ['dash', ['-c']],
  ['zsh', ['-c']],
  ['ksh', ['-c']],
  ['busybox', ['-c']],
  ['python', ['-c']],
  ['python2', ['-c']],
  ['python3', ['-c']],
  ['perl', ['-e', '-E']],
  ['ruby', ['-e']],
  ['node', ['-e', '--eval', '-p', '--print']],
  ['php', ['-r']],
  ['lua', ['-e']],
  ['pwsh', ['-c', '-command', '-Command']],
]);

/** "python3.12" → "python3"; other names unchanged. */
function interpreterOf(name: string): string {
  const m = /^(python[23]?)(\.\d+)?$/.exec(name);
  return m ? (m[1] as string) : name;
}

/**
 * `"interpreter":{...}` for process.Ext of an exec whose arguments carry inline script text
 * (bash -c, sh -lc, python3 -c, perl -e...), or '' when they do not.
 *
 * @example scriptArgsExt('bash', ['bash', '-lc', 'id']) // '"interpreter":{"name":"bash","flag":"-lc","script":"id"}'
 */
export function scriptArgsExt(name: string, args: readonly string[]): string {
  const interp = interpreterOf(name);
  const flags = SCRIPT_FLAGS.get(interp);
  if (!flags) return '';
  const shell = flags[0] === '-c' && !interp.startsWith('python') && interp !== 'pwsh';
  for (let i = 1; i < args.length; i++) {
    const a = args[i] as string;
    if (a === '--') break;
    // Shells take clustered short options (-lc, -ec): the script is the next argument.
    const hit =
      flags.includes(a) || (shell && /^-[a-zA-Z]*c[a-zA-Z]*$/.test(a) && !a.startsWith('--'));
    if (hit && i + 1 < args.length) {
      return `"interpreter":{"name":${q(interp)},"flag":${q(a)},"script":${q(args[i + 1])}}`;
    }
    // python3 -c'code', perl -e'code': the script attached to the flag.
    for (const f of flags) {
      if (f.length === 2 && a.startsWith(f) && a.length > 2 && !shell) {
        return `"interpreter":{"name":${q(interp)},"flag":${q(f)},"script":${q(a.slice(2))}}`;
      }
    }
    if (!a.startsWith('-')) break; // a script file or the first operand: no inline script
  }
  return '';
}
