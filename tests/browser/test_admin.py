"""The admin pages in Chromium: add a user, deactivate them, revoke a token, edit a verdict."""

from __future__ import annotations

from playwright.sync_api import expect

PASSWORD = "correct-horse-battery"


def _sign_in(browser, base: str, username: str, password: str):
    context = browser.new_context()
    page = context.new_page()
    page.goto(base + "/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    return context, page


def test_an_admin_manages_users_tokens_and_the_verdict_scale(team, open_page, browser):
    base = team.config["BASE"]
    page = open_page("admin")
    page.click("nav >> text=Admin")
    expect(page.locator("h1")).to_have_text("Administration")

    # Add a user through the form; they can sign in.
    form = page.locator("form.add-user")
    form.locator("input[name=username]").fill("nadia")
    form.locator("input[name=display_name]").fill("Nadia K")
    form.locator("select[name=role]").select_option("reviewer")
    form.locator("input[name=password]").fill("nadia-pass-2026")
    form.locator("button[type=submit]").click()
    expect(page.locator(".flash")).to_contain_text("Created reviewer nadia")
    row = page.locator("tr[data-user=nadia]")
    expect(row.locator(".user-status")).to_have_text("active")
    context, other = _sign_in(browser, base, "nadia", "nadia-pass-2026")
    other.wait_for_url(base + "/queue")
    expect(other.locator(".who")).to_contain_text("Nadia K")
    context.close()

    # Deactivate them: the sign-in is refused.
    row.locator("button:has-text('Deactivate')").click()
    expect(page.locator(".flash")).to_contain_text("nadia is deactivated")
    expect(page.locator("tr[data-user=nadia] .user-status")).to_have_text("deactivated")
    context, other = _sign_in(browser, base, "nadia", "nadia-pass-2026")
    expect(other.locator(".flash.error")).to_contain_text("deactivated")
    assert other.url.startswith(base + "/login")
    context.close()

    # The last admin cannot deactivate themselves.
    page.locator("tr[data-user=admin] button:has-text('Deactivate')").click()
    expect(page.locator(".flash.error")).to_contain_text("last active admin")

    # Typing in the find field swaps the list for the matching users, and the URL follows.
    # The page was just loaded by the form's redirect: htmx wires the field on
    # DOMContentLoaded, so wait for the document to be complete before typing.
    page.wait_for_function("document.readyState === 'complete' && !!window.htmx")
    page.fill("input[name=q]", "nad")
    expect(page.locator("#user-list tr[data-user]")).to_have_count(1)
    expect(page.locator("#user-list tr[data-user=nadia]")).to_have_count(1)
    page.wait_for_url("**q=nad**")

    # Make a token for the editor (picked as you type), use it, revoke it: the API answers 401.
    page.click(".subnav >> text=API tokens")
    # A new page again: type only once htmx has wired the picker (a fresh-clone run on a
    # loaded machine typed before that, and no request went out).
    page.wait_for_url("**/tokens**")
    page.wait_for_function("document.readyState === 'complete' && !!window.htmx")
    create = page.locator("form.create-token")
    create.locator("input[name=username]").press_sequentially("edi")
    expect(page.locator("#token-owner-options option[value=editor]")).to_have_count(1)
    create.locator("input[name=username]").fill("editor")
    create.locator("input[name=name]").fill("newsroom CMS")
    create.locator("input[name=expires_days]").fill("30")
    create.locator("button[type=submit]").click()
    secret = page.locator(".secret-value").input_value()
    assert secret.startswith("ann_")
    headers = {"Authorization": f"Bearer {secret}"}
    assert page.request.get(base + "/api/v1/articles", headers=headers).status == 200
    token_row = page.locator("tr.token-active:has-text('newsroom CMS')")
    token_row.locator("button:has-text('Revoke')").click()
    expect(page.locator(".flash")).to_contain_text("revoked")
    expect(page.locator("tr:has-text('newsroom CMS') .token-status")).to_contain_text("revoked")
    expect(page.locator(".secret-value")).to_have_count(0)
    assert page.request.get(base + "/api/v1/articles", headers=headers).status == 401

    # Rename a verdict; the new label is saved and shown.
    page.click(".subnav >> text=Verdict scale")
    mixed = page.locator("form[data-verdict=mixed]")
    mixed.locator("input[name=label]").fill("Half true")
    mixed.locator("button:has-text('Save')").click()
    expect(page.locator(".flash")).to_contain_text("Saved the verdict Half true")
    expect(page.locator("form[data-verdict=mixed] input[name=label]")).to_have_value("Half true")
    assert page.dialogs == []
