// Runs the x86 tests of an already built kvm-unit-tests tree under wasmkvm, the way
// kvm-unit-tests' run_tests.sh runs them under QEMU: one `wasmkvm run` per unittests.cfg
// section, with its smp, test_args and memory size, a timeout per test, and PASS/FAIL/SKIP
// decided from the isa-debug-exit status (kvm-unit-tests scripts/runtime.bash and
// scripts/arch-run.bash). It never fetches or builds anything (README.md here says how).
//
//   node --import tsx tests/kvm-unit-tests/run.ts /tmp/kvm-unit-tests [options] [TEST...]
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const USAGE = `usage: node --import tsx tests/kvm-unit-tests/run.ts KUT_TREE [options] [TEST...]

  KUT_TREE           a configured and built kvm-unit-tests tree (config.mak, x86/*.flat)
  TEST...            unittests.cfg section names to run (default: all, as run_tests.sh)
  -g, --group NAME   only tests in this unittests.cfg group (nodefault ones included)
  -a, --all          also run tests in the "nodefault" group
  -j, --jobs N       run N tests at once (default 1)
  --timeout SECONDS  per-test timeout for every test (default: the cfg's timeout, else 90)
  --wasmkvm PATH     the wasmkvm entry point (default: bin/wasmkvm.mjs of this repo)
  --logs DIR         write each test's serial output and wasmkvm messages to DIR/NAME.log
  -v, --verbose      print each wasmkvm command line
  -l, --list         list the tests and the wasmkvm arguments, run nothing

Exit status 0 when no test failed, 1 otherwise, 2 on a usage error.`;

/** run_tests.sh's default when a test has no `timeout =` (scripts/runtime.bash). */
const DEFAULT_TIMEOUT_S = 90;
/** QEMU's default -m, which kvm-unit-tests' tests are written for. */
const DEFAULT_MEM_MIB = 128;

// isa-debug-exit status (value << 1) | 1 of kvm-unit-tests' exit(code) (lib/x86/io.c):
// exit(0) -> 1 (pass), exit(1) -> 3 (a report() failed), exit(77 >> 1) -> 77 (every test
// skipped, lib/report.c report_summary()).
const STATUS_PASS = 1;
const STATUS_SKIP = 77;

/** One `[name]` section of x86/unittests.cfg (docs/unittests.txt). */
interface UnitTest {
  name: string;
  file: string;
  smp: string;
  testArgs: string;
  qemuParams: string;
  groups: string[];
  arch: string;
  accel: string;
  check: string;
  timeout: string;
  disabledIf: string;
}

interface Options {
  tree: string;
  names: string[];
  group: string | undefined;
  all: boolean;
  jobs: number;
  timeoutS: number | undefined;
  wasmkvm: string;
  logs: string | undefined;
  verbose: boolean;
  list: boolean;
}

type Verdict = { kind: 'PASS' | 'FAIL' | 'SKIP'; detail: string };

/** Strips one pair of surrounding quotes, as the shell does when run_tests.sh evals the line. */
function unquote(v: string): string {
  const m = /^(['"])(.*)\1$/.exec(v);
  return m ? m[2] : v;
}

/** Parses unittests.cfg as scripts/common.bash for_each_unittest() does. */
function parseUnittestsCfg(text: string): UnitTest[] {
  const tests: UnitTest[] = [];
  const lines = text.split('\n');
  let t: UnitTest | undefined;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    const section = /^\[(.*)\]$/.exec(line);
    if (section) {
      t = {
        name: section[1],
        file: '',
        smp: '1',
        testArgs: '',
        qemuParams: '',
        groups: [],
        arch: '',
        accel: '',
        check: '',
        timeout: '',
        disabledIf: '',
      };
      tests.push(t);
      continue;
    }
    const kv = /^([a-z_]+)\s*=\s*(.*)$/.exec(line);
    if (!t || !kv) continue;
    let value = kv[2];
    if (value.startsWith('"""')) {
      // A multi-line value runs to the closing triple quote.
      const parts = [value.slice(3)];
      while (!parts[parts.length - 1].includes('"""') && i + 1 < lines.length) parts.push(lines[++i]);
      value = parts.join(' ').replace(/"""\s*$/, '');
    }
    switch (kv[1]) {
      case 'file':
        t.file = value;
        break;
      case 'smp':
        t.smp = value;
        break;
      case 'test_args':
        t.testArgs = unquote(value);
        break;
      case 'qemu_params':
      case 'extra_params':
        t.qemuParams = value;
        break;
      case 'groups':
        t.groups = value.split(/\s+/).filter(Boolean);
        break;
      case 'arch':
        t.arch = value;
        break;
      case 'accel':
        t.accel = value;
        break;
      case 'check':
        t.check = value;
        break;
      case 'timeout':
        t.timeout = value;
        break;
      case 'disabled_if':
        t.disabledIf = value;
        break;
    }
  }
  return tests;
}

/** The value of KEY=VALUE in the tree's config.mak. */
function configValue(tree: string, key: string): string | undefined {
  const text = readFileSync(join(tree, 'config.mak'), 'utf8');
  return new RegExp(`^${key}=(.*)$`, 'm').exec(text)?.[1].trim();
}

/** QEMU's -m argument (MiB without a suffix) from qemu_params; the only QEMU option wasmkvm shares. */
function memFromQemuParams(params: string): string | undefined {
  return /(?:^|\s)-m\s+(\S+)/.exec(params)?.[1];
}

/**
 * The `vendor=` property of QEMU's `-cpu MODEL,prop=value,...` in qemu_params, the one -cpu
 * property wasmkvm applies (as `--cpu vendor=...`); the model and other properties are not.
 */
function vendorFromQemuParams(params: string): string | undefined {
  const cpu = /(?:^|\s)-cpu\s+(\S+)/.exec(params)?.[1];
  return cpu?.split(',').find((p) => p.startsWith('vendor='))?.slice('vendor='.length);
}

/** Seconds from a cfg/timeout(1) duration such as 90, 90s, 2m. */
function durationSeconds(d: string): number | undefined {
  const m = /^(\d+)([smh]?)$/.exec(d.trim());
  if (!m) return undefined;
  return Number(m[1]) * (m[2] === 'm' ? 60 : m[2] === 'h' ? 3600 : 1);
}

/** test_args may hold shell backticks; the one x86 use is `date +%s` (kvmclock_test). */
function expandArgs(args: string): string | Verdict {
  const expanded = args.replace(/`date \+%s`/g, String(Math.floor(Date.now() / 1000)));
  if (expanded.includes('`')) return { kind: 'SKIP', detail: `test_args needs a shell: ${args}` };
  return expanded;
}

/** Why run_tests.sh would not run this test here, or undefined. */
function skipReason(t: UnitTest, o: Options, arch: string): string | undefined {
  const explicit = o.names.includes(t.name) || (o.group !== undefined && t.groups.includes(o.group));
  if (t.groups.includes('nodefault') && !explicit && !o.all) return 'test marked as manual run only';
  if (t.arch && t.arch !== arch) return `${t.arch} only`;
  if (t.accel === 'kvm') return 'kvm only (host PMU, vmport or real CPU features)';
  if (t.disabledIf) return `disabled_if needs a shell: ${t.disabledIf}`;
  if (!/^\d+$/.test(t.smp)) return `smp needs a shell: ${t.smp}`;
  // `check` names host KVM module parameters; this host has no kvm module to check.
  if (t.check) return `host check ${t.check}`;
  if (!existsSync(join(o.tree, 'x86', t.file))) return `test file 'x86/${t.file}' not found`;
  return undefined;
}

/** A command line as a shell would need it, for --list and --verbose. */
function shellLine(argv: string[]): string {
  return argv.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}

/** wasmkvm arguments for one test, without the environment file. */
function wasmkvmArgs(t: UnitTest, o: Options, args: string): { argv: string[]; memMiB: number } {
  const mem = memFromQemuParams(t.qemuParams) ?? String(DEFAULT_MEM_MIB);
  const memMiB = /^\d+$/.test(mem)
    ? Number(mem)
    : Math.round(Number.parseFloat(mem) * (/g$/i.test(mem) ? 1024 : 1));
  const argv = ['run', '--kernel', join(o.tree, 'x86', t.file), '--smp', t.smp, '--mem', `${memMiB}M`];
  const vendor = vendorFromQemuParams(t.qemuParams);
  if (vendor) argv.push('--cpu', `vendor=${vendor}`);
  if (args) argv.push('--append', args);
  return { argv, memMiB };
}

/**
 * The environment file kvm-unit-tests reads from its first multiboot module (lib/argv.c
 * setup_env, called from lib/x86/setup.c). NR_CPUS and MEMSIZE override the QEMU fw_cfg
 * queries of lib/x86/fwcfg.c read_cfg_override(): wasmkvm has no fw_cfg device (port 0x510).
 */
function envFile(dir: string, t: UnitTest, memMiB: number): string {
  const path = join(dir, `${t.name.replace(/[^A-Za-z0-9_.-]/g, '_')}.env`);
  writeFileSync(path, `NR_CPUS=${t.smp}\nMEMSIZE=${memMiB}\n`);
  return path;
}

/** "RIP 0x402d0e" in a wasmkvm message, with the function and line from the test's .elf. */
function symbolize(message: string, elf: string): string {
  const rip = /RIP (0x[0-9a-f]+)/i.exec(message)?.[1];
  if (!rip || !existsSync(elf)) return message;
  const r = spawnSync('addr2line', ['-f', '-s', '-e', elf, rip], { encoding: 'utf8' });
  if (r.status !== 0) return message;
  const [fn, where] = r.stdout.trim().split('\n');
  return fn && fn !== '??' ? `${message} [${fn} ${where ?? ''}]`.replace(/ \]$/, ']') : message;
}

/** PASS/FAIL/SKIP as scripts/runtime.bash decides, plus the first reason a reader needs. */
function verdict(
  status: number | null,
  timedOut: boolean,
  stdout: string,
  stderr: string,
  elf: string,
  timeoutS: number,
): Verdict {
  const summary = /^SUMMARY: (.*?)\r?$/m.exec(stdout)?.[1];
  // wasmkvm's own message (triple fault, internal error) says more than its exit status.
  const vmMessage = stderr
    .split('\n')
    .find((l) => l.startsWith('wasmkvm: '))
    ?.slice('wasmkvm: '.length);
  // report() failures, report_abort(), an unexpected exception or a failed assert() (lib/report.c,
  // lib/x86/desc.c unhandled_exception(), lib/libcflat.h assert()), whichever comes first.
  const firstFail = /^(FAIL: |ABORT: |Unhandled exception |.*assert failed: )(.*?)\r?$/m.exec(stdout);
  const lastLine = stdout.trimEnd().split('\n').pop()?.trim();
  const where = (): string =>
    (firstFail ? `; first failure: "${firstFail[0].trim().slice(0, 100)}"` : '') +
    (lastLine ? `; last output: "${lastLine.slice(0, 100)}"` : '; no serial output');
  if (timedOut) return { kind: 'FAIL', detail: `timeout after ${timeoutS}s${where()}` };
  if (vmMessage) return { kind: 'FAIL', detail: `${symbolize(vmMessage, elf)}${where()}` };
  if (status === STATUS_PASS) return { kind: 'PASS', detail: summary ?? '' };
  if (status === STATUS_SKIP) return { kind: 'SKIP', detail: summary ?? 'all tests skipped' };
  if (firstFail) return { kind: 'FAIL', detail: `${firstFail[0].trim()}${summary ? ` (${summary})` : ''}` };
  return { kind: 'FAIL', detail: `exit status ${status}${where()}` };
}

function runOne(t: UnitTest, o: Options, envDir: string): Promise<Verdict> {
  const args = expandArgs(t.testArgs);
  if (typeof args !== 'string') return Promise.resolve(args);
  const { argv, memMiB } = wasmkvmArgs(t, o, args);
  argv.push('--initrd', envFile(envDir, t, memMiB));
  const timeoutS = o.timeoutS ?? durationSeconds(t.timeout) ?? DEFAULT_TIMEOUT_S;
  if (o.verbose) process.stdout.write(`${shellLine([process.execPath, o.wasmkvm, ...argv])}\n`);
  return new Promise((done) => {
    // stdin is /dev/null, as run_tests.sh gives QEMU.
    const child = spawn(process.execPath, [o.wasmkvm, ...argv], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString('latin1')));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutS * 1000);
    child.on('close', (status) => {
      clearTimeout(timer);
      if (o.logs)
        writeFileSync(
          join(o.logs, `${t.name}.log`),
          `${shellLine([o.wasmkvm, ...argv])}\n${stdout}\n--- stderr ---\n${stderr}`,
        );
      const elf = join(o.tree, 'x86', t.file.replace(/\.flat$/, '.elf'));
      done(verdict(status, timedOut, stdout, stderr, elf, timeoutS));
    });
  });
}

function parseOptions(argv: string[]): Options | string {
  const o: Options = {
    tree: '',
    names: [],
    group: undefined,
    all: false,
    jobs: 1,
    timeoutS: undefined,
    wasmkvm: new URL('../../bin/wasmkvm.mjs', import.meta.url).pathname,
    logs: undefined,
    verbose: false,
    list: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = (): string => argv[++i] ?? '';
    switch (a) {
      case '-h':
      case '--help':
        return USAGE;
      case '-g':
      case '--group':
        o.group = value();
        break;
      case '-a':
      case '--all':
        o.all = true;
        break;
      case '-j':
      case '--jobs':
        o.jobs = Number(value());
        if (!Number.isInteger(o.jobs) || o.jobs < 1) return `--jobs: expected a positive integer\n${USAGE}`;
        break;
      case '--timeout':
        o.timeoutS = Number(value());
        if (!(o.timeoutS > 0)) return `--timeout: expected seconds\n${USAGE}`;
        break;
      case '--wasmkvm':
        o.wasmkvm = resolve(value());
        break;
      case '--logs':
        o.logs = resolve(value());
        break;
      case '-v':
      case '--verbose':
        o.verbose = true;
        break;
      case '-l':
      case '--list':
        o.list = true;
        break;
      default:
        if (a.startsWith('-')) return `unknown option ${a}\n${USAGE}`;
        if (o.tree) o.names.push(a);
        else o.tree = resolve(a);
    }
  }
  if (!o.tree) return USAGE;
  if (!existsSync(join(o.tree, 'config.mak')) || !existsSync(join(o.tree, 'x86', 'unittests.cfg'))) {
    return `${o.tree}: not a configured kvm-unit-tests tree (no config.mak or x86/unittests.cfg); see tests/kvm-unit-tests/README.md`;
  }
  return o;
}

async function main(argv: string[]): Promise<number> {
  const o = parseOptions(argv);
  if (typeof o === 'string') {
    process.stderr.write(`${o}\n`);
    return 2;
  }
  const arch = configValue(o.tree, 'ARCH') ?? 'x86_64';
  const all = parseUnittestsCfg(readFileSync(join(o.tree, 'x86', 'unittests.cfg'), 'utf8'));
  const unknown = o.names.filter((n) => !all.some((t) => t.name === n));
  if (unknown.length) {
    process.stderr.write(`no such test in x86/unittests.cfg: ${unknown.join(', ')}\n`);
    return 2;
  }
  const selected = all.filter(
    (t) =>
      (o.names.length === 0 || o.names.includes(t.name)) &&
      (o.group === undefined || t.groups.includes(o.group)),
  );
  if (o.list) {
    for (const t of selected) {
      const skip = skipReason(t, o, arch);
      const args = expandArgs(t.testArgs);
      const cmd = typeof args === 'string' ? shellLine(wasmkvmArgs(t, o, args).argv) : args.detail;
      process.stdout.write(`${t.name}: ${skip ? `SKIP (${skip})` : cmd}\n`);
    }
    return 0;
  }
  if (o.logs) mkdirSync(o.logs, { recursive: true });
  const envDir = mkdtempSync(join(tmpdir(), 'wasmkvm-kut-'));
  const results = new Map<string, Verdict>();
  const queue = [...selected];
  const worker = async (): Promise<void> => {
    for (let t = queue.shift(); t !== undefined; t = queue.shift()) {
      const skip = skipReason(t, o, arch);
      const v = skip !== undefined ? { kind: 'SKIP' as const, detail: skip } : await runOne(t, o, envDir);
      results.set(t.name, v);
      process.stdout.write(`${v.kind} ${t.name}${v.detail ? ` (${v.detail})` : ''}\n`);
    }
  };
  try {
    await Promise.all(Array.from({ length: o.jobs }, worker));
  } finally {
    rmSync(envDir, { recursive: true, force: true });
  }
  const count = (k: Verdict['kind']): number => [...results.values()].filter((v) => v.kind === k).length;
  process.stdout.write(
    `SUMMARY: ${results.size} tests (${arch}), ${count('PASS')} PASS, ${count('FAIL')} FAIL, ${count('SKIP')} SKIP\n`,
  );
  return count('FAIL') > 0 ? 1 : 0;
}

if (process.argv[1] && resolve(process.argv[1]) === new URL(import.meta.url).pathname) {
  process.exitCode = await main(process.argv.slice(2));
}
