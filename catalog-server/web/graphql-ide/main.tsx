// The browser entry of the GraphQL IDE: GraphiQL with the headers editor open and prefilled with the
// Authorization header every request needs (the token itself is not kept in the browser's storage).
import { GraphiQL } from 'graphiql';
import { createRoot } from 'react-dom/client';
import 'graphiql/style.css';
import { ferriteFetcher } from './fetcher';

const DEFAULT_QUERY = `# Ferrite's GraphQL API. Put your API token in the Authorization header below
# ("Bearer fer_..."), then run this with Ctrl-Enter.
{
  me {
    name
    role
  }
}
`;

const httpUrl = `${location.origin}/graphql`;
const wsUrl = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/graphql`;

createRoot(document.getElementById('graphiql')!).render(
  <GraphiQL
    fetcher={ferriteFetcher(httpUrl, wsUrl)}
    defaultQuery={DEFAULT_QUERY}
    defaultHeaders={'{\n  "Authorization": "Bearer "\n}'}
    defaultEditorToolsVisibility="headers"
    shouldPersistHeaders={false}
  />,
);
