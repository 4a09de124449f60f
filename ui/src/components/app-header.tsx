import type { AppSummary } from '../api/types.ts';
import { shownStatus } from '../app-status.ts';
import { ago, isoTime } from '../format.ts';
import { href, type Route } from '../router.ts';
import { Badge } from './badges.tsx';
import { Revision } from './revision.tsx';

/** An application's name, status and facts, and the links between its pages. */
export function AppHeader({ app, page }: { app: AppSummary; page: Route['page'] }) {
  const status = shownStatus(app);
  const tabs: [Route['page'], string][] = [
    ['app', 'Objects'],
    ['history', 'History'],
    ...(app.destinations ? [['rollout', 'Rollout'] as [Route['page'], string]] : []),
  ];
  return (
    <header class="app-header">
      <p class="crumbs">
        <a href={href({ page: 'list' })}>Applications</a> /
      </p>
      <h1>
        {app.name} <Badge value={status.sync} /> <Badge value={status.health} />
        {status.suspended ? <Badge value="Suspended" /> : null}
        {app.syncing ? <Badge value="Syncing" /> : null}
      </h1>
      <dl class="facts">
        <div>
          <dt>Revision</dt>
          <dd>
            <Revision repoURL={app.repoURL} revision={status.revision} /> of{' '}
            {app.targetRevision ?? '—'}
          </dd>
        </div>
        <div>
          <dt>Source</dt>
          <dd>
            {app.repoURL} {app.path}
          </dd>
        </div>
        <div>
          <dt>Project</dt>
          <dd>{app.project ?? '—'}</dd>
        </div>
        <div>
          <dt>Last sync</dt>
          <dd>
            <time dateTime={isoTime(status.lastSync)}>{ago(status.lastSync)}</time>
          </dd>
        </div>
      </dl>
      {app.disabled ? <p class="error">Disabled: {app.disabled}</p> : null}
      {app.state?.error ? <p class="error">{app.state.error}</p> : null}
      <nav aria-label={`${app.name} pages`} class="tabs">
        {tabs.map(([p, label]) => (
          <a
            key={p}
            href={href({ page: p, name: app.name })}
            aria-current={p === page ? 'page' : undefined}
          >
            {label}
          </a>
        ))}
      </nav>
    </header>
  );
}
