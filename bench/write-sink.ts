import { spawn, spawnSync, type ChildProcess } from 'node:child_process';

/**
 * The write sink of the ingest bench: a separate process (on core 1 when `taskset` works, so the measured pipeline
 * keeps core 0 to itself) answering 204 to every write after reading the body, like an InfluxDB that keeps up.
 */
export function startSink(): Promise<{ url: string; child: ChildProcess }> {
  const code = `
    const http = require('node:http');
    const s = http.createServer((req, res) => { req.on('data', () => {}); req.on('end', () => { res.statusCode = 204; res.end(); }); });
    s.keepAliveTimeout = 60000;
    s.listen(0, '127.0.0.1', () => process.stdout.write(String(s.address().port) + '\\n'));`;
  const pin = spawnSync('taskset', ['-c', '1', 'true']).status === 0;
  const child = pin
    ? spawn('taskset', ['-c', '1', process.execPath, '-e', code], { stdio: ['ignore', 'pipe', 'inherit'] })
    : spawn(process.execPath, ['-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    child.stdout?.once('data', (d: Buffer) => resolve({ url: `http://127.0.0.1:${d.toString().trim()}`, child }));
    child.once('exit', (c) => reject(new Error(`sink exited ${c}`)));
  });
}
