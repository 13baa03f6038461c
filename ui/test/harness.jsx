// harness.jsx - a stand-in for Stash's web UI for the browser tests: it
// provides window.PluginApi as Stash does (React 17, ReactDOM, the
// libraries of pluginApi.d.ts at Stash v0.30.1's versions, register.route,
// patch.before/instead/after on named components, components), then, once
// the plugin's script has run, renders a navigation bar, the plugin routes
// and a scene page whose tabs are the patchable "ScenePage.Tabs". GraphQL
// goes to /graphql on this origin, which the test server forwards to the
// fake Stash.
import React from "react";
import ReactDOM from "react-dom";
import * as ReactRouterDOM from "react-router-dom";
import * as Bootstrap from "react-bootstrap";
import * as Apollo from "@apollo/client";
import * as Intl from "react-intl";
import * as FontAwesomeSolid from "@fortawesome/free-solid-svg-icons";
import * as FontAwesomeRegular from "@fortawesome/free-regular-svg-icons";
import * as FontAwesomeBrands from "@fortawesome/free-brands-svg-icons";
import Mousetrap from "mousetrap";
import MousetrapPause from "mousetrap/plugins/pause/mousetrap-pause";
import * as ReactSelect from "react-select";

const patches = { before: {}, instead: {}, after: {} };
const add = (kind) => (name, fn) => {
  (patches[kind][name] = patches[kind][name] || []).push(fn);
};

// Stash's PatchFunction: befores rewrite the arguments, insteads wrap the
// render (each gets the next one last), afters see the result.
function PatchComponent(name, render) {
  return function Patched(props) {
    let args = [props];
    for (const fn of patches.before[name] || []) args = fn(...args);
    let next = (...a) => render(...a);
    for (const fn of (patches.instead[name] || []).slice().reverse()) {
      const inner = next;
      next = (...a) => fn(...a, inner);
    }
    let out = next(...args);
    for (const fn of patches.after[name] || []) out = fn(...args, out);
    return out;
  };
}

const routes = [];
const Setting = ({ heading }) => <div className="setting">{heading}</div>;

window.PluginApi = {
  React,
  ReactDOM,
  GQL: {},
  libraries: {
    ReactRouterDOM,
    Bootstrap,
    Apollo,
    Intl,
    FontAwesomeSolid,
    FontAwesomeRegular,
    FontAwesomeBrands,
    Mousetrap,
    MousetrapPause,
    ReactSelect,
  },
  register: {
    route: (path, component) => routes.push({ path, component }),
    component: (name, c) => { window.PluginApi.components[name] = c; },
  },
  components: { Setting },
  patch: { before: add("before"), instead: add("instead"), after: add("after") },
  hooks: {},
  utils: { NavUtils: {}, loadComponents: () => Promise.resolve() },
  loadableComponents: {},
  Event: { addEventListener: () => {} },
};

const { BrowserRouter, Switch, Route, Link, useParams } = ReactRouterDOM;
const { Nav } = Bootstrap;

const UtilityItems = PatchComponent("MainNavBar.UtilityItems", (p) => <>{p.children}</>);
const SettingsTools = PatchComponent("SettingsToolsSection", (p) => <div className="settings-tools">{p.children}</div>);
const ScenePageTabs = PatchComponent("ScenePage.Tabs", (p) => <>{p.children}</>);

function ScenePage() {
  const { id } = useParams();
  return (
    <div className="scene-page container-fluid">
      <h3 className="scene-title">{`Scene ${id}`}</h3>
      <Nav variant="tabs" as="ul" className="scene-tabs">
        <ScenePageTabs>
          <Nav.Item as="li"><Nav.Link active>Details</Nav.Link></Nav.Item>
          <Nav.Item as="li"><Nav.Link>File Info</Nav.Link></Nav.Item>
        </ScenePageTabs>
      </Nav>
      <div className="scene-details">Details of the scene.</div>
    </div>
  );
}

function App() {
  return (
    <BrowserRouter>
      <nav className="navbar navbar-dark top-nav">
        <Link className="navbar-brand" to="/">Stash</Link>
        <div className="navbar-buttons d-flex">
          <UtilityItems><Link className="nav-utility" to="/settings">Settings</Link></UtilityItems>
        </div>
      </nav>
      <Switch>
        {routes.map((r) => <Route key={r.path} exact path={r.path} component={r.component} />)}
        <Route path="/scenes/:id" component={ScenePage} />
        <Route path="/settings"><SettingsTools><div>Tools</div></SettingsTools></Route>
        <Route><div className="container-fluid">Home</div></Route>
      </Switch>
    </BrowserRouter>
  );
}

window.addEventListener("load", () => {
  ReactDOM.render(<App />, document.getElementById("root"));
});
