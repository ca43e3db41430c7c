/** A page of issue 12 that is not built yet: says so, and where to look meanwhile. */
import { useLocation } from '../../router';

export default function PlaceholderPage() {
  const { pathname } = useLocation();
  return (
    <section>
      <h1>{pathname}</h1>
      <div className="state empty">
        <p>This page is not built yet. The API has the data: see the CLI (docs/cli.md) or the API documentation.</p>
        <p>
          <a href="/docs">API documentation</a>
        </p>
      </div>
    </section>
  );
}
