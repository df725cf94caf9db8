import { readFileSync } from 'node:fs';
import { Fmp4StreamReader } from '../fmp4/Fmp4StreamReader.ts';
for (const f of process.argv.slice(2)) {
  const buf = readFileSync(f);
  let n = 0; let total = 0; let sync = 0;
  const r = new Fmp4StreamReader({
    onInit: (d, t) => console.log(f, 'init', d.length, JSON.stringify(t)),
    onFragment: (fr) => { const t = fr.tracks[0]!; total += t.duration; if (t.firstSampleSync) sync++; if (n++ < 4 || t.firstSampleSync && sync < 5) console.log(' frag', n, fr.data.length, t.baseMediaDecodeTime, t.duration, t.sampleCount, t.firstSampleSync); },
  });
  for (let i = 0; i < buf.length; i += 5000) r.push(buf.subarray(i, i + 5000));
  console.log(' fragments', n, 'total', total, 'sync', sync);
}
