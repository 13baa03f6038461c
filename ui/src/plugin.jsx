// plugin.jsx - Stash2Plex's Stash UI plugin: registers the status page at
// /plugin/stash2plex, a link to it in the navigation bar and the Tools
// settings, and the Plex badge on each scene page. React and the other
// libraries come from window.PluginApi (Stash's own copies).
import { StatusPage } from "./page.jsx";
import { SceneBadge } from "./badge.jsx";

const api = window.PluginApi;
const React = api.React;
const ROUTE = "/plugin/stash2plex";

// The scene id of a scene page: the patched component's scene, else the
// URL (/scenes/123).
function sceneIdOf(props) {
  if (props && props.scene && props.scene.id) return props.scene.id;
  const m = /\/scenes\/(\d+)/.exec(window.location.pathname);
  return m ? m[1] : null;
}

// A component that fails renders a note instead of taking Stash's page down.
class Guard extends React.Component {
  constructor(p) {
    super(p);
    this.state = { error: null };
  }
  static getDerivedStateFromError(error) {
    return { error };
  }
  render() {
    if (this.state.error)
      return <span className="s2p-error-inline">{`Stash2Plex: ${this.state.error.message}`}</span>;
    return this.props.children;
  }
}

api.register.route(ROUTE, () => <Guard><StatusPage /></Guard>);

const { NavLink, Link } = api.libraries.ReactRouterDOM;

api.patch.before("MainNavBar.UtilityItems", (props) => [
  {
    ...props,
    children: (
      <>
        {props.children}
        <NavLink className="nav-utility s2p-navlink" exact to={ROUTE} title="Stash2Plex status">
          <span className="btn minimal d-flex align-items-center h-100">Plex</span>
        </NavLink>
      </>
    ),
  },
]);

api.patch.before("SettingsToolsSection", (props) => {
  const { Setting } = api.components;
  return [
    {
      ...props,
      children: (
        <>
          {props.children}
          {Setting ? <Setting heading={<Link to={ROUTE}>Stash2Plex status</Link>} /> : null}
        </>
      ),
    },
  ];
});

api.patch.before("ScenePage.Tabs", (props) => [
  {
    ...props,
    children: (
      <>
        {props.children}
        <li className="nav-item s2p-badge-item">
          <Guard><SceneBadge sceneId={sceneIdOf(props)} /></Guard>
        </li>
      </>
    ),
  },
]);
