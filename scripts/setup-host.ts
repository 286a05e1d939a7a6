/**
 * Runs before `npm test` (its `pretest` step): makes a Debian test host ready for the tests that
 * drive the real system, so a fresh machine needs only the README's commands. As root on Debian
 * it installs the missing packages of `host-packages.ts` (saying which and why) and mounts
 * tracefs; anywhere else, or with ETM_NO_HOST_SETUP=1, it changes nothing and says once what to
 * run, and the tests that need a missing tool skip with that reason.
 *
 * Packages are installed with invoke-rc.d's policy hook refusing every start, so a package that
 * ships a daemon (auditd, cron, openssh-server) is left stopped, and its service is disabled.
 */
import { spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, unlinkSync, writeFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import {
  HOST_PACKAGES,
  type HostPackage,
  installCommand,
  OPT_OUT_VARIABLE,
} from './host-packages.ts';
import { type CliIo, type CliSpec, EXIT, type ParsedCli, runCli } from './lib/cli-kit.ts';

const TRACEFS = '/sys/kernel/tracing';
const POLICY_RC = '/usr/sbin/policy-rc.d';

const spec = {
  name: 'setup-host',
  usage: 'node scripts/setup-host.ts [--check]',
  summary:
    'Installs the Debian packages the tests drive (as root on Debian) and mounts tracefs; elsewhere says what to run.',
  flags: {
    check: { type: 'boolean', description: 'Only report what is missing; change nothing.' },
  },
  epilog: [
    `Set ${OPT_OUT_VARIABLE}=1 to keep \`npm test\` from installing packages or mounting tracefs.`,
    'Exit 0 whether or not it could install: tests that need a missing tool skip with the reason.',
  ],
} as const satisfies CliSpec;

/** Whether a program is on PATH (or, for an absolute path, executable). */
export function hasProgram(program: string, path = process.env.PATH ?? ''): boolean {
  const candidates = program.startsWith('/')
    ? [program]
    : path.split(delimiter).map((dir) => join(dir, program));
  return candidates.some((candidate) => {
    try {
      accessSync(candidate, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

function isInstalled(pkg: HostPackage): boolean {
  // biome-ignore lint/suspicious/noTemplateCurlyInString: dpkg-query's own format syntax, not a JS template.
  const query = spawnSync('dpkg-query', ['-W', '-f', '${db:Status-Status}', pkg.name], {
    encoding: 'utf8',
  });
  if (query.error === undefined) return query.status === 0 && query.stdout.trim() === 'installed';
  // No dpkg (not Debian): judge by the program the package would provide.
  return pkg.provides !== undefined && hasProgram(pkg.provides);
}

function isDebian(): boolean {
  return existsSync('/etc/debian_version') && hasProgram('apt-get');
}

function isRoot(): boolean {
  return process.getuid?.() === 0;
}

function apt(io: CliIo, args: readonly string[]): boolean {
  const result = spawnSync(
    'apt-get',
    ['-o', 'DPkg::Lock::Timeout=600', '-o', 'Dpkg::Use-Pty=0', ...args],
    {
      stdio: ['ignore', 'ignore', 'inherit'],
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    },
  );
  if (result.status !== 0)
    io.stderr(`setup-host: apt-get ${args[0]} failed (exit ${result.status}).\n`);
  return result.status === 0;
}

/** Installs with every service start refused, then disables the services the packages ship. */
function installPackages(io: CliIo, missing: readonly HostPackage[]): boolean {
  const ownPolicy = !existsSync(POLICY_RC);
  // Exit 101 is invoke-rc.d's "action forbidden": packages install without starting daemons.
  if (ownPolicy) writeFileSync(POLICY_RC, '#!/bin/sh\nexit 101\n', { mode: 0o755 });
  try {
    io.stderr('setup-host: apt-get update...\n');
    if (!apt(io, ['update', '-qq'])) return false;
    io.stderr(`setup-host: apt-get install ${missing.map((p) => p.name).join(' ')}...\n`);
    if (
      !apt(io, ['install', '-y', '-qq', '--no-install-recommends', ...missing.map((p) => p.name)])
    )
      return false;
  } finally {
    if (ownPolicy) unlinkSync(POLICY_RC);
  }
  for (const service of missing.flatMap((p) => (p.service === undefined ? [] : [p.service]))) {
    if (hasProgram('systemctl')) spawnSync('systemctl', ['disable', '--quiet', service]);
    if (hasProgram('update-rc.d'))
      spawnSync('update-rc.d', [service, 'disable'], { stdio: 'ignore' });
    io.stderr(`setup-host: ${service} installed, left stopped and disabled.\n`);
  }
  return true;
}

function tracefsMounted(): boolean {
  return spawnSync('mountpoint', ['-q', TRACEFS]).status === 0;
}

function mountTracefs(io: CliIo): void {
  if (tracefsMounted()) return;
  const mounted = spawnSync('mount', ['-t', 'tracefs', 'nodev', TRACEFS], { encoding: 'utf8' });
  io.stderr(
    mounted.status === 0
      ? `setup-host: mounted tracefs on ${TRACEFS} (the agent attaches tracepoints through it).\n`
      : `setup-host: could not mount tracefs on ${TRACEFS} (${mounted.stderr.trim() || 'mount failed'}); the eBPF tests will skip and say so.\n`,
  );
}

function listPackages(packages: readonly HostPackage[]): string {
  return packages.map((p) => `  ${p.name}: ${p.why}`).join('\n');
}

async function main({ values }: ParsedCli, io: CliIo): Promise<number> {
  const missing = HOST_PACKAGES.filter((pkg) => !isInstalled(pkg));
  const optedOut = process.env[OPT_OUT_VARIABLE] === '1';
  const cannot = values.check
    ? 'only checking (--check)'
    : optedOut
      ? `${OPT_OUT_VARIABLE}=1 is set`
      : !isDebian()
        ? 'this is not a Debian system'
        : !isRoot()
          ? 'npm test is not running as root'
          : undefined;

  if (missing.length > 0) {
    if (cannot !== undefined) {
      io.stderr(
        `setup-host: ${missing.length} system package(s) the tests use are missing and will not be installed (${cannot}):\n${listPackages(missing)}\nTests that need them skip and say why. To install them: ${installCommand(missing.map((p) => p.name))}\n`,
      );
    } else {
      io.stderr(
        `setup-host: installing ${missing.length} system package(s) the tests use:\n${listPackages(missing)}\n`,
      );
      const ok = installPackages(io, missing);
      const still = HOST_PACKAGES.filter((pkg) => !isInstalled(pkg));
      io.stderr(
        ok && still.length === 0
          ? `setup-host: installed ${missing.length} package(s).\n`
          : `setup-host: ${still.length} package(s) still missing (${still.map((p) => p.name).join(', ')}); tests that need them skip and say why.\n`,
      );
    }
  } else {
    io.stderr(
      `setup-host: all ${HOST_PACKAGES.length} system packages the tests use are installed.\n`,
    );
  }

  if (cannot === undefined) mountTracefs(io);
  else if (!tracefsMounted())
    io.stderr(
      `setup-host: tracefs is not mounted (${cannot}); to mount it: sudo mount -t tracefs nodev ${TRACEFS}\n`,
    );
  return EXIT.ok;
}

if (import.meta.main) process.exitCode = await runCli(spec, process.argv.slice(2), main);
