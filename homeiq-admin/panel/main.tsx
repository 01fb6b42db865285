import 'uplot/dist/uPlot.min.css';
import './style.css';
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { EntitiesView } from './views/entities.js';
import { ExploreView } from './views/explore.js';
import { GrafanaView } from './views/grafana.js';
import { ImportView } from './views/import.js';
import { LiveView } from './views/live.js';
import { MigrateView } from './views/migrate.js';
import { OverviewView } from './views/overview.js';
import { QuarantineView } from './views/quarantine.js';
import { StorageView } from './views/storage.js';

interface Tab {
  id: string;
  title: string;
  view: () => preact.JSX.Element;
}

const TABS: Tab[] = [
  { id: 'overview', title: 'Overview', view: () => <OverviewView /> },
  { id: 'live', title: 'Live', view: () => <LiveView /> },
  { id: 'entities', title: 'Entities', view: () => <EntitiesView /> },
  { id: 'explore', title: 'Explore', view: () => <ExploreView /> },
  { id: 'storage', title: 'Storage', view: () => <StorageView /> },
  { id: 'import', title: 'History import', view: () => <ImportView /> },
  { id: 'migrate', title: 'Migrate', view: () => <MigrateView /> },
  { id: 'quarantine', title: 'Quarantine', view: () => <QuarantineView /> },
  { id: 'grafana', title: 'Grafana', view: () => <GrafanaView /> },
];

/** Views live in the fragment (`#/storage`): it never reaches the server, so any ingress prefix works. */
function currentTab(): Tab {
  const id = location.hash.replace(/^#\/?/, '').split(/[/?]/)[0];
  return TABS.find((t) => t.id === id) ?? (TABS[0] as Tab);
}

function App() {
  const [tab, setTab] = useState(currentTab());
  useEffect(() => {
    const on = (): void => setTab(currentTab());
    addEventListener('hashchange', on);
    return () => removeEventListener('hashchange', on);
  }, []);
  return (
    <>
      <nav class="tabs">
        {TABS.map((t) => (
          <a
            key={t.id}
            href={`#/${t.id}`}
            aria-current={t.id === tab.id ? 'page' : undefined}
            class={t.id === tab.id ? 'active' : ''}
          >
            {t.title}
          </a>
        ))}
      </nav>
      <main id={`view-${tab.id}`}>{tab.view()}</main>
    </>
  );
}

const root = document.getElementById('app');
if (root) {
  root.textContent = '';
  render(<App />, root);
}
