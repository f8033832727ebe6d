import { QueueExecutor } from './queue.ts';
import { expandSpec } from './spec.ts';
const jobs = expandSpec({ name: 'spike2', base: { method: 'tcl', trainSize: 400, testSize: 100, epochs: 3 }, grid: { seed: [0] } }, '/tmp/qspike/runs2-' + Date.now());
const ex = new QueueExecutor({ url: 'redis://127.0.0.1:6390', sweep: 'spike2', log: (l) => console.log('LOG', l), pollMs: 1000 });
const t = Date.now();
const recs = await ex.run(jobs, { onStart: (j) => console.log('start', j.id, Date.now() - t), onEnd: (r) => console.log('end', r.id, r.status, r.error, r.resumed, r.summary?.metrics.length, Date.now() - t) });
await ex.close();
