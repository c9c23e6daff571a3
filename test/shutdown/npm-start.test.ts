import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Children of a process, from /proc (Linux). */
function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').split(' ').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('npm start', () => {
  it('delivers SIGTERM to the server: it drains and exits, and npm exits with it', async () => {
    // Prepare: `npm start` exactly as the README says, as a process manager would run it.
    const npm = spawn('npm', ['start'], {
      cwd: root,
      env: { ...process.env, PORT: '0', HOST: '127.0.0.1', REDIS_URL: '', SHUTDOWN_DRAIN_MS: '300' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    npm.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    npm.stderr?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    const npmExited = new Promise<number | null>((resolve) => npm.once('exit', (code) => resolve(code)));
    const deadline = Date.now() + 60_000;
    while (!output.includes('"msg":"listening"') && Date.now() < deadline) await sleep(100);
    const npmPid = npm.pid ?? 0;
    // The server is npm's child, or its grandchild through a shell.
    const descendants = childrenOf(npmPid).flatMap((pid) => [pid, ...childrenOf(pid)]);
    expect(descendants.length).toBeGreaterThan(0);

    // Act
    npm.kill('SIGTERM');
    const npmCode = await npmExited;
    await sleep(1_000);

    // Assess: the server logged its shutdown, and nothing npm started is left running.
    expect(output).toContain('"signal":"SIGTERM"');
    expect(output).toContain('shutdown: complete');
    expect(descendants.filter(isAlive)).toEqual([]);
    expect(npmCode === 0 || npmCode === 143 || npmCode === null).toBe(true);
  }, 90_000);
});
