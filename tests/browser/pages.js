// Every signed-in page the suite visits, with whom it signs in as, its h1, and the controls the
// keyboard must reach. A new page is one line here; `as` is a person the server harness finds
// in the demo data (learner, supervisor, newcomer, tutor).

/** A control found by its role and accessible name (a string matches exactly). */
const control = (role, name) => ({ role, name });
const button = (name) => control('button', name);
const link = (name) => control('link', name);

export const PAGES = [
  { path: '/home', as: 'learner', shot: 'home', h1: /^Hello, /, controls: [link('Your progress What you have done and what is still to do')] },
  { path: '/me/progress', as: 'learner', shot: 'progress', h1: 'Your progress', controls: [] },
  { path: '/me/certificates', as: 'learner', shot: 'certificates', h1: 'Your certificates', controls: [link(/^Download PDF/)] },
  { path: '/me/sharing', as: 'learner', shot: 'sharing', h1: 'Sharing', controls: [button(/^(Share|Stop sharing) with /)] },
  { path: '/me/access-log', as: 'learner', shot: 'access-log', h1: 'Who looked you up', controls: [] },
  { path: '/me/supervision', as: 'learner', shot: 'supervision', h1: 'Your supervision', controls: [button('Log this session')] },
  { path: '/me/data', as: 'learner', shot: 'data', h1: 'Your data', controls: [link('Download all my data'), button('Save')] },
  { path: '/me/cpd', as: 'learner', shot: 'cpd', h1: 'Continuing development', controls: [button('Log development')] },
  // The administrators' pages (admin.test.js walks what they do).
  { path: '/admin', as: 'newcomer', h1: 'Administration', controls: [link(/^Organisations/), link(/^People/)] },
  { path: '/admin/organisations', as: 'newcomer', h1: 'Organisations', controls: [button('Add organisation')] },
  { path: '/admin/cohorts', as: 'newcomer', h1: 'Cohorts', controls: [button('Start cohort')] },
  { path: '/admin/programmes', as: 'newcomer', h1: 'Programmes', controls: [button('Publish')] },
  { path: '/admin/emails', as: 'newcomer', h1: 'Emails that failed', controls: [] },
  { path: '/admin/people', as: 'newcomer', h1: 'People', controls: [button('Find')] },
  { path: '/cohorts', as: 'tutor', shot: 'cohorts', h1: 'Your cohorts', controls: [] },
  { path: '/supervision', as: 'supervisor', shot: 'supervisor', h1: 'Supervision waiting for you', controls: [button(/^Verify/), button(/^Decline/)] },
];

/** The pages a person with nothing yet sees empty, checked too (no screenshots). */
export const EMPTY_PAGES = ['/home', '/me/progress', '/me/certificates', '/me/sharing', '/me/access-log', '/me/supervision', '/me/data', '/me/cpd'];

/** Finds a control on a page. */
export function locate(page, { role, name }) {
  return page.getByRole(role, { name, exact: typeof name === 'string' }).first();
}
