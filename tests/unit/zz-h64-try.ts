import { diffOutcome64, loadAnyFixtures, type FixtureFile64 } from '../harness/fixture-format64.ts';
import { FixtureRunner64, byCode, type Tier } from '../lib/fixture-runner.ts';
const fam = process.argv[2]!; const tiers = (process.argv[3] ?? 'block').split(',') as Tier[];
const file = loadAnyFixtures(fam) as FixtureFile64;
const order = byCode(file.cases);
const byM = new Map<string, number>(); const ex: string[] = [];
for (const tier of tiers) {
  const t0 = performance.now(); const r = new FixtureRunner64(); let bad = 0;
  for (const i of order) { const c = file.cases[i]!; let d: string[];
    try { d = diffOutcome64(c, r.run(c, tier)); } catch (e) { d = [`threw ${String(e).slice(0,200)}`]; }
    if (d.length) { bad++; const k = `${tier} ${c.asm.split(' ')[0]} ${c.ctx.size}`; byM.set(k, (byM.get(k) ?? 0) + 1); if (ex.length < 400) ex.push(`${tier} #${c.index} ${c.asm} [${Buffer.from(c.code).toString('hex')}]: ${d.join('; ')}`); } }
  console.log(tier, file.cases.length, 'cases', bad, 'bad', (performance.now() - t0).toFixed(0), 'ms');
}
console.log([...byM].sort((a,b)=>b[1]-a[1]).slice(0,40).map(([k,v])=>`${k}: ${v}`).join('\n'));
console.log(ex.slice(0, Number(process.env.N ?? 15)).join('\n'));
