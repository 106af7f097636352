import { Link } from "react-router-dom";
import { useTitle } from "../hooks";

export function NotFoundPage() {
  useTitle("Not found");
  return (
    <section>
      <h1>Nothing here</h1>
      <p>
        This address is not a page of the console. <Link to="/">Back to the jobs</Link>.
      </p>
    </section>
  );
}
