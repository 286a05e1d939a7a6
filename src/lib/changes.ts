/**
 * Upstream's cell changes grouped by commit, newest first: the unit both the history page's feed
 * and the Atom feed show, with links to the pull request (or the commit when there is none).
 */
import type { HistoryEntry } from '../../scoring/schema.ts';
import { groupByCommit } from './timeline.ts';

export interface CommitChanges {
  commit: string;
  date: string;
  pr: number | null;
  entries: HistoryEntry[];
}

/** Commits sorted by instant (not by string: offsets differ), newest first; ties keep file order. */
export function commitsNewestFirst(entries: readonly HistoryEntry[]): CommitChanges[] {
  return groupByCommit(entries)
    .flatMap((group) => {
      const first = group[0];
      return first
        ? [{ commit: first.commit, date: first.date, pr: first.pr, entries: group }]
        : [];
    })
    .map((c, i) => ({ c, i, t: Date.parse(c.date) }))
    .sort((a, b) => b.t - a.t || a.i - b.i)
    .map(({ c }) => c);
}

/** `https://github.com/owner/repo` + 204 → the pull request's address. */
function pullRequestUrl(repoUrl: string, pr: number): string {
  return `${repoUrl.replace(/\/+$/, '')}/pull/${pr}`;
}

export function commitUrl(repoUrl: string, commit: string): string {
  return `${repoUrl.replace(/\/+$/, '')}/commit/${commit}`;
}

/** Where a reader can see a change: its pull request if it had one, else its commit. */
export function changeUrl(repoUrl: string, change: Pick<CommitChanges, 'commit' | 'pr'>): string {
  return change.pr === null
    ? commitUrl(repoUrl, change.commit)
    : pullRequestUrl(repoUrl, change.pr);
}

/** "PR #204" or "commit 9cdbe72". */
export function changeLabel(change: Pick<CommitChanges, 'commit' | 'pr'>): string {
  return change.pr === null ? `commit ${change.commit.slice(0, 7)}` : `PR #${change.pr}`;
}

/** The calendar date (YYYY-MM-DD) in the commit's own offset, as its author saw it. */
export function dayOf(date: string): string {
  return date.slice(0, 10);
}
