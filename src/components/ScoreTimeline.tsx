/**
 * Score timeline chart (recharts): one line per chosen product, for one platform at a time.
 * The page already has the same numbers as a table, so this only adds a picture; it renders
 * nothing on the server (recharts writes inline styles, which the CSP forbids in HTML).
 */
import { useEffect, useId, useMemo, useState } from 'react';
import { CartesianGrid, Legend, Line, LineChart, Tooltip, XAxis, YAxis } from 'recharts';
import type { TimelineSeries } from './score-timeline.types.ts';
import { day, month, quarterTicks } from './score-timeline.utils.ts';

interface Props {
  platforms: TimelineSeries[];
}

const COLOURS = [
  '#1f77b4',
  '#d62728',
  '#2ca02c',
  '#9467bd',
  '#ff7f0e',
  '#17becf',
  '#8c564b',
  '#e377c2',
  '#7f7f7f',
  '#bcbd22',
];
/** Dash patterns so lines differ by more than colour; 10 × 3 gives 30 distinct styles. */
const DASHES = ['', '6 3', '2 3'];

export default function ScoreTimeline({ platforms }: Props) {
  const [mounted, setMounted] = useState(false);
  const [platformId, setPlatformId] = useState(platforms[0]?.id ?? '');
  const [chosen, setChosen] = useState<Record<string, string[]>>(() =>
    Object.fromEntries(platforms.map((p) => [p.id, p.initial])),
  );
  const ids = useId();
  useEffect(() => setMounted(true), []);

  const platform = platforms.find((p) => p.id === platformId) ?? platforms[0];
  const selected = platform ? (chosen[platform.id] ?? []) : [];
  const rows = useMemo(
    () => (platform ? platform.points.map((p) => ({ t: p.t, ...p.scores })) : []),
    [platform],
  );

  if (!mounted || !platform) return <div className="timeline-placeholder" />;
  const first = rows[0]?.t ?? 0;
  const last = rows[rows.length - 1]?.t ?? 0;

  const toggle = (vendorId: string, on: boolean) =>
    setChosen((prev) => {
      const current = prev[platform.id] ?? [];
      const next = on ? [...current, vendorId] : current.filter((v) => v !== vendorId);
      return { ...prev, [platform.id]: next };
    });

  return (
    <div className="timeline">
      <div className="timeline-controls">
        <label htmlFor={`${ids}-platform`}>Platform</label>{' '}
        <select
          id={`${ids}-platform`}
          value={platform.id}
          onChange={(e) => setPlatformId(e.currentTarget.value)}
        >
          {platforms.map((p) => (
            <option key={p.id} value={p.id}>
              {p.name}
            </option>
          ))}
        </select>
      </div>
      <fieldset className="timeline-vendors">
        <legend>Products on the chart</legend>
        {platform.vendors.map((v) => (
          <label key={v.id}>
            <input
              type="checkbox"
              checked={selected.includes(v.id)}
              onChange={(e) => toggle(v.id, e.currentTarget.checked)}
            />{' '}
            {v.name}
          </label>
        ))}
      </fieldset>
      <figure className="timeline-figure">
        <LineChart
          data={rows}
          responsive
          style={{ width: '100%', height: 360 }}
          margin={{ top: 8, right: 16, bottom: 8, left: 0 }}
        >
          <CartesianGrid strokeDasharray="3 3" stroke="currentColor" strokeOpacity={0.2} />
          <XAxis
            dataKey="t"
            type="number"
            scale="time"
            domain={['dataMin', 'dataMax']}
            ticks={quarterTicks(first, last)}
            tickFormatter={month}
            tick={{ fill: 'currentColor' }}
            stroke="currentColor"
          />
          <YAxis tick={{ fill: 'currentColor' }} stroke="currentColor" width={44} />
          <Tooltip
            labelFormatter={(t) => day(Number(t))}
            contentStyle={{
              background: 'var(--bg)',
              color: 'var(--text)',
              borderColor: 'var(--border)',
            }}
          />
          <Legend />
          {platform.vendors
            .filter((v) => selected.includes(v.id))
            .map((v) => {
              const i = platform.vendors.indexOf(v);
              return (
                <Line
                  key={v.id}
                  dataKey={v.id}
                  name={v.name}
                  type="stepAfter"
                  stroke={COLOURS[i % COLOURS.length] ?? 'currentColor'}
                  strokeDasharray={DASHES[i % DASHES.length] ?? ''}
                  strokeWidth={2}
                  dot={false}
                  isAnimationActive={false}
                />
              );
            })}
        </LineChart>
        <figcaption>
          Score after each upstream commit, computed with today’s weights. The table below has the
          same data in text.
        </figcaption>
      </figure>
    </div>
  );
}
