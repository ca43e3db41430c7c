/** /runs/<id>: one run (being built). */
import type { PageProps } from '../../routes';

export default function RunPage({ params }: PageProps) {
  return (
    <section>
      <h1>Run {params.id}</h1>
    </section>
  );
}
