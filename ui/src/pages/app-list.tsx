import { useMemo, useState } from 'preact/hooks';
import type { AppSummary } from '../api/types.ts';
import { clustersOf, shownStatus, type ShownStatus } from '../app-status.ts';
import { Badge } from '../components/badges.tsx';
import { ErrorNote } from '../components/error-note.tsx';
import { Revision } from '../components/revision.tsx';
import { ago, isoTime } from '../format.ts';
import { usePoll } from '../live/use-poll.ts';
import { href } from '../router.ts';

interface Filters {
  project: string;
  cluster: string;
  sync: string;
  health: string;
  search: string;
}

type Row = { app: AppSummary; status: ShownStatus; clusters: string[] };

function matches(row: Row, f: Filters): boolean {
  return (
    (!f.project || row.app.project === f.project) &&
    (!f.cluster || row.clusters.includes(f.cluster)) &&
    (!f.sync || row.status.sync === f.sync) &&
    (!f.health || row.status.health === f.health) &&
    (!f.search ||
      `${row.app.name} ${row.app.repoURL ?? ''} ${row.app.path ?? ''}`
        .toLowerCase()
        .includes(f.search.toLowerCase()))
  );
}

function Select(props: {
  label: string;
  value: string;
  options: string[];
  onChange: (v: string) => void;
}) {
  const id = `filter-${props.label.toLowerCase()}`;
  return (
    <label for={id}>
      {props.label}
      <select
        id={id}
        value={props.value}
        onChange={(e) => props.onChange((e.target as HTMLSelectElement).value)}
      >
        <option value="">All</option>
        {props.options.map((o) => (
          <option key={o} value={o}>
            {o}
          </option>
        ))}
      </select>
    </label>
  );
}

function Counts({ rows }: { rows: Row[] }) {
  const count = (pick: (r: Row) => boolean) => rows.filter(pick).length;
  const items: [string, number][] = [
    ['Applications', rows.length],
    ['Synced', count((r) => r.status.sync === 'Synced')],
    ['OutOfSync', count((r) => r.status.sync === 'OutOfSync')],
    ['Healthy', count((r) => r.status.health === 'Healthy')],
    ['Progressing', count((r) => r.status.health === 'Progressing')],
    ['Degraded', count((r) => r.status.health === 'Degraded')],
    ['Suspended', count((r) => r.status.suspended)],
  ];
  return (
    <dl class="counts" aria-label="Counts">
      {items.map(([label, n]) => (
        <div key={label}>
          <dt>{label}</dt>
          <dd>{n}</dd>
        </div>
      ))}
    </dl>
  );
}

function AppRow({ row }: { row: Row }) {
  const { app, status } = row;
  return (
    <tr>
      <th scope="row">
        <a href={href({ page: 'app', name: app.name })}>{app.name}</a>
      </th>
      <td>
        <Badge value={status.sync} title={app.disabled} />
        {status.suspended ? <Badge value="Suspended" /> : null}
      </td>
      <td>
        <Badge value={status.health} />
      </td>
      <td>
        <Revision repoURL={app.repoURL} revision={status.revision} />
      </td>
      <td>
        <time dateTime={isoTime(status.lastSync)}>{ago(status.lastSync)}</time>
      </td>
      <td>{app.project ?? '—'}</td>
      <td>
        {app.destinations
          ? app.destinations.map((d) => `${d.cluster} (wave ${d.wave})`).join(', ')
          : `${app.cluster ?? '—'}/${app.namespace ?? ''}`}
      </td>
    </tr>
  );
}

const NO_FILTERS: Filters = { project: '', cluster: '', sync: '', health: '', search: '' };

/** Search and the four filters, each offering the values present in the list. */
function FilterBar(props: { rows: Row[]; filters: Filters; onChange: (f: Filters) => void }) {
  const { rows, filters } = props;
  const set = (key: keyof Filters) => (value: string) =>
    props.onChange({ ...filters, [key]: value });
  const distinct = (pick: (r: Row) => string[]) => [...new Set(rows.flatMap(pick))].sort();
  return (
    <form class="filters" role="search" onSubmit={(e) => e.preventDefault()}>
      <label for="search">
        Search
        <input
          id="search"
          type="search"
          value={filters.search}
          placeholder="name, repository or path"
          onInput={(e) => set('search')((e.target as HTMLInputElement).value)}
        />
      </label>
      <Select
        label="Project"
        value={filters.project}
        options={distinct((r) => (r.app.project ? [r.app.project] : []))}
        onChange={set('project')}
      />
      <Select
        label="Cluster"
        value={filters.cluster}
        options={distinct((r) => r.clusters)}
        onChange={set('cluster')}
      />
      <Select
        label="Status"
        value={filters.sync}
        options={distinct((r) => [r.status.sync])}
        onChange={set('sync')}
      />
      <Select
        label="Health"
        value={filters.health}
        options={distinct((r) => [r.status.health])}
        onChange={set('health')}
      />
    </form>
  );
}

function AppTable({ shown, total }: { shown: Row[]; total: number }) {
  return (
    <table class="apps">
      <caption>
        {shown.length} of {total} applications
      </caption>
      <thead>
        <tr>
          {['Name', 'Sync', 'Health', 'Revision', 'Last sync', 'Project', 'Destinations'].map(
            (h) => (
              <th key={h} scope="col">
                {h}
              </th>
            ),
          )}
        </tr>
      </thead>
      <tbody>
        {shown.map((row) => (
          <AppRow key={row.app.name} row={row} />
        ))}
      </tbody>
    </table>
  );
}

/** Every application with its status, filters and counts; live by polling. */
export function AppList() {
  const { data, error } = usePoll<{ apps: AppSummary[] }>('/apps');
  const [filters, setFilters] = useState<Filters>(NO_FILTERS);
  const rows = useMemo(
    () =>
      (data?.apps ?? []).map((app) => ({
        app,
        status: shownStatus(app),
        clusters: clustersOf(app),
      })),
    [data],
  );
  return (
    <>
      <h1>Applications</h1>
      <ErrorNote error={error} />
      <Counts rows={rows} />
      <FilterBar rows={rows} filters={filters} onChange={setFilters} />
      {data ? (
        <AppTable shown={rows.filter((r) => matches(r, filters))} total={rows.length} />
      ) : error ? null : (
        <p role="status">Loading…</p>
      )}
    </>
  );
}
