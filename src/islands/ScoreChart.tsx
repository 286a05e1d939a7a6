/**
 * A horizontal bar chart of one platform's scores (recharts). Rendered only in the browser: the
 * server output is an empty box of the same height (no layout shift), because recharts writes
 * inline style attributes that the page's CSP rightly refuses in HTML. The ranking table next to
 * it is the text alternative, so the chart is hidden from assistive technology.
 */
import { useEffect, useState } from 'react';
import { Bar, BarChart, CartesianGrid, Tooltip, XAxis, YAxis } from 'recharts';

interface ChartBar {
  name: string;
  score: number;
}

interface Props {
  bars: ChartBar[];
  /** Best possible score on this platform: the axis runs to it. */
  max: number;
}

export default function ScoreChart({ bars, max }: Props) {
  const [mounted, setMounted] = useState(false);
  useEffect(() => setMounted(true), []);
  return (
    <div className="score-chart" aria-hidden="true">
      {mounted && (
        <BarChart
          data={bars}
          layout="vertical"
          responsive
          width="100%"
          height="100%"
          accessibilityLayer={false}
          margin={{ top: 4, right: 16, bottom: 4, left: 4 }}
        >
          <CartesianGrid horizontal={false} strokeDasharray="3 3" />
          <XAxis type="number" domain={[0, max]} tick={{ fill: 'currentColor' }} />
          <YAxis
            type="category"
            dataKey="name"
            width={120}
            interval={0}
            tick={{ fill: 'currentColor', fontSize: 12 }}
          />
          <Tooltip cursor={{ fillOpacity: 0.15 }} />
          <Bar dataKey="score" fill="var(--bar)" isAnimationActive={false} />
        </BarChart>
      )}
    </div>
  );
}
