/* demo_tickets.c - the demo's data: synthetic support tickets from templates
 * (slots, phrasing, typos), agents' replies, the task data set and the
 * pretraining corpus, all from a seed (see demo.h). */
#include "tunepilot/demo.h"

#include <ctype.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "pilot/demo_impl.h"
#include "tunepilot/arena.h"
#include "tunepilot/buf.h"
#include "tunepilot/fileio.h"
#include "tunepilot/paths.h"

const char *const DEMO_TEAMS[DEMO_N_TEAMS] = {"billing", "technical", "account", "shipping",
                                              "sales"};

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))

/* --- random helpers -------------------------------------------------------------------- */

static int rnd(TpRng *r, int n) {
    return (int)(tp_rng_next(r) % (uint64_t)n);
}
static bool chance(TpRng *r, double p) {
    return tp_rng_uniform(r) < p;
}
#define PICK(r, a) ((a)[rnd(r, N(a))])

/* --- slot values ------------------------------------------------------------------------ */

static const char *const PRODUCTS[] = {
    "Nimbus Router X2",    "Pulse smartwatch", "Atlas standing desk",  "Orbit Cloud Backup",
    "Vega headphones",     "Zenith 14 laptop", "Echo security camera", "Lumen desk lamp",
    "Cobalt keyboard",     "Quill Notes app",  "Helix fitness band",   "Terra smart thermostat",
    "Aero drone",          "Nova tablet",      "Pixel Pro monitor",    "Harbor NAS",
    "Sprout plant sensor", "Beacon doorbell",  "Summit webcam",        "Drift e-bike",
};
static const char *const DEVICES[] = {"iPhone", "Android phone", "Windows laptop", "Mac",
                                      "iPad",   "Chromebook",    "Pixel phone",    "Linux desktop"};
static const char *const BROWSERS[] = {"Chrome", "Firefox", "Safari", "Edge"};
static const char *const PLANS[] = {"Basic", "Plus", "Pro", "Team", "Business", "Family"};
static const char *const MONTHS[] = {"January",   "February", "March",    "April",
                                     "May",       "June",     "July",     "August",
                                     "September", "October",  "November", "December"};
static const char *const WEEKDAYS[] = {"Monday", "Tuesday",  "Wednesday", "Thursday",
                                       "Friday", "Saturday", "Sunday"};
static const char *const CARRIERS[] = {"UPS",        "FedEx",          "DHL", "USPS", "the courier",
                                       "Royal Mail", "the post office"};
static const char *const CITIES[] = {"Lisbon", "Denver", "Toronto", "Leeds",  "Austin",
                                     "Berlin", "Osaka",  "Dublin",  "Lyon",   "Seattle",
                                     "Madrid", "Oslo",   "Chicago", "Sydney", "Nairobi"};
static const char *const COUNTRIES[] = {"Canada", "Mexico", "Germany", "Japan", "Brazil",
                                        "Norway", "India",  "Ireland", "Chile", "Australia"};
static const char *const NAMES[] = {"Dana",  "Priya", "Tom",  "Lucia", "Ahmed", "Mei",
                                    "Jonas", "Sara",  "Kofi", "Elena", "Raj",   "Chloe",
                                    "Mateo", "Ines",  "Sam",  "Yuki",  "Omar",  "Grace"};
static const char *const SURNAMES[] = {"Kim",   "Novak",  "Silva", "Okafor", "Berg",  "Rossi",
                                       "Patel", "Moreau", "Lopez", "Tanaka", "Walsh", "Meyer"};
static const char *const COMPANIES[] = {"Brightside Dental", "Kestrel Logistics", "Oakline Studio",
                                        "Northwind Traders", "Bluefin Labs",      "Maple & Co",
                                        "Riverstone School", "Copperleaf Cafe",   "Vantage Legal"};
static const char *const DOMAINS[] = {"example.com", "mail.example", "inbox.test", "corp.example"};

typedef struct Slots {
    char product[48], product2[48], order[24], amount[16], amount2[16], card[32], date[32], days[8],
        month[16], plan[16], plan2[16], code[16], inv[16], error[24], ver[16], device[24],
        device2[24], browser[16], pct[8], hours[8], email[64], city[16], country[16], carrier[24],
        n[8], m[8], name[16], fullname[32], company[32], years[8], seats[8], ticket[16];
} Slots;

static void fill_slots(TpRng *r, Slots *s) {
    int p = rnd(r, N(PRODUCTS)), p2 = (p + 1 + rnd(r, N(PRODUCTS) - 1)) % N(PRODUCTS);
    snprintf(s->product, sizeof s->product, "%s", PRODUCTS[p]);
    snprintf(s->product2, sizeof s->product2, "%s", PRODUCTS[p2]);
    switch (rnd(r, 4)) {
    case 0:
        snprintf(s->order, sizeof s->order, "#%d", 10000 + rnd(r, 90000));
        break;
    case 1:
        snprintf(s->order, sizeof s->order, "order %d", 100000 + rnd(r, 900000));
        break;
    case 2:
        snprintf(s->order, sizeof s->order, "%c%c-%d", 'A' + rnd(r, 26), 'A' + rnd(r, 26),
                 1000 + rnd(r, 9000));
        break;
    default:
        snprintf(s->order, sizeof s->order, "#%d", 2000000 + rnd(r, 8000000));
        break;
    }
    static const int cents[] = {0, 99, 49, 95, 50, 0, 0, 99};
    int a = 5 + rnd(r, 400), a2 = 5 + rnd(r, 400);
    if (chance(r, 0.5))
        snprintf(s->amount, sizeof s->amount, "$%d.%02d", a, PICK(r, cents));
    else
        snprintf(s->amount, sizeof s->amount, "%s%d", chance(r, 0.5) ? "$" : "EUR ", a);
    snprintf(s->amount2, sizeof s->amount2, "$%d.%02d", a2, PICK(r, cents));
    static const char *const CARDS[] = {"Visa", "Mastercard", "Amex", "debit card", "card"};
    snprintf(s->card, sizeof s->card, "%s ending %04d", PICK(r, CARDS), rnd(r, 10000));
    switch (rnd(r, 4)) {
    case 0:
        snprintf(s->date, sizeof s->date, "%s %d", PICK(r, MONTHS), 1 + rnd(r, 28));
        break;
    case 1:
        snprintf(s->date, sizeof s->date, "last %s", PICK(r, WEEKDAYS));
        break;
    case 2:
        snprintf(s->date, sizeof s->date, "the %dth", 4 + rnd(r, 17));
        break;
    default:
        snprintf(s->date, sizeof s->date, "%d/%d", 1 + rnd(r, 12), 1 + rnd(r, 28));
        break;
    }
    snprintf(s->days, sizeof s->days, "%d", 2 + rnd(r, 19));
    snprintf(s->month, sizeof s->month, "%s", PICK(r, MONTHS));
    int pl = rnd(r, N(PLANS)), pl2 = (pl + 1 + rnd(r, N(PLANS) - 1)) % N(PLANS);
    snprintf(s->plan, sizeof s->plan, "%s", PLANS[pl]);
    snprintf(s->plan2, sizeof s->plan2, "%s", PLANS[pl2]);
    static const char *const CODES[] = {"SAVE", "SPRING", "WELCOME", "VIP", "FALL", "HELLO"};
    snprintf(s->code, sizeof s->code, "%s%d", PICK(r, CODES), 5 * (1 + rnd(r, 8)));
    snprintf(s->inv, sizeof s->inv, "INV-%d", 1000 + rnd(r, 90000));
    switch (rnd(r, 4)) {
    case 0:
        snprintf(s->error, sizeof s->error, "error %d", 400 + rnd(r, 110));
        break;
    case 1:
        snprintf(s->error, sizeof s->error, "error code E-%d", 100 + rnd(r, 900));
        break;
    case 2:
        snprintf(s->error, sizeof s->error, "a timeout error");
        break;
    default:
        snprintf(s->error, sizeof s->error, "0x%04X", rnd(r, 65536));
        break;
    }
    snprintf(s->ver, sizeof s->ver, "%d.%d.%d", 1 + rnd(r, 6), rnd(r, 20), rnd(r, 10));
    int d = rnd(r, N(DEVICES)), d2 = (d + 1 + rnd(r, N(DEVICES) - 1)) % N(DEVICES);
    snprintf(s->device, sizeof s->device, "%s", DEVICES[d]);
    snprintf(s->device2, sizeof s->device2, "%s", DEVICES[d2]);
    snprintf(s->browser, sizeof s->browser, "%s", PICK(r, BROWSERS));
    snprintf(s->pct, sizeof s->pct, "%d", 5 + rnd(r, 95));
    snprintf(s->hours, sizeof s->hours, "%d", 1 + rnd(r, 10));
    const char *nm = PICK(r, NAMES), *sn = PICK(r, SURNAMES);
    snprintf(s->name, sizeof s->name, "%s", nm);
    snprintf(s->fullname, sizeof s->fullname, "%s %s", nm, sn);
    char lower[32];
    snprintf(lower, sizeof lower, "%s", nm);
    for (char *c = lower; *c; c++)
        *c = (char)tolower((unsigned char)*c);
    char lsn[32];
    snprintf(lsn, sizeof lsn, "%s", sn);
    for (char *c = lsn; *c; c++)
        *c = (char)tolower((unsigned char)*c);
    if (chance(r, 0.5))
        snprintf(s->email, sizeof s->email, "%s.%s@%s", lower, lsn, PICK(r, DOMAINS));
    else
        snprintf(s->email, sizeof s->email, "%s%d@%s", lower, rnd(r, 100), PICK(r, DOMAINS));
    snprintf(s->city, sizeof s->city, "%s", PICK(r, CITIES));
    snprintf(s->country, sizeof s->country, "%s", PICK(r, COUNTRIES));
    snprintf(s->carrier, sizeof s->carrier, "%s", PICK(r, CARRIERS));
    int n = 2 + rnd(r, 5);
    snprintf(s->n, sizeof s->n, "%d", n);
    snprintf(s->m, sizeof s->m, "%d", n + 1 + rnd(r, 4));
    snprintf(s->company, sizeof s->company, "%s", PICK(r, COMPANIES));
    snprintf(s->years, sizeof s->years, "%d", 2 + rnd(r, 9));
    static const int SEATS[] = {5, 10, 12, 15, 20, 25, 40, 50, 75, 100, 200, 250, 500};
    snprintf(s->seats, sizeof s->seats, "%d", PICK(r, SEATS));
    snprintf(s->ticket, sizeof s->ticket, "%d", 30000 + rnd(r, 60000));
}

/* Appends tmpl with each {slot} replaced. */
static void expand(TpBuf *b, const char *tmpl, const Slots *s) {
    static const struct {
        const char *name;
        size_t off;
    } K[] = {
#define SLOT(x) {#x, offsetof(Slots, x)}
        SLOT(product), SLOT(product2), SLOT(order), SLOT(amount),   SLOT(amount2), SLOT(card),
        SLOT(date),    SLOT(days),     SLOT(month), SLOT(plan),     SLOT(plan2),   SLOT(code),
        SLOT(inv),     SLOT(error),    SLOT(ver),   SLOT(device),   SLOT(device2), SLOT(browser),
        SLOT(pct),     SLOT(hours),    SLOT(email), SLOT(city),     SLOT(country), SLOT(carrier),
        SLOT(n),       SLOT(m),        SLOT(name),  SLOT(fullname), SLOT(company), SLOT(years),
        SLOT(seats),   SLOT(ticket),
#undef SLOT
    };
    for (const char *p = tmpl; *p;) {
        const char *close = *p == '{' ? strchr(p, '}') : NULL;
        if (!close) {
            const char *next = strchr(p + 1, '{');
            size_t n = next ? (size_t)(next - p) : strlen(p);
            tp_buf_append(b, p, n);
            p += n;
            continue;
        }
        size_t len = (size_t)(close - p - 1);
        int k = 0;
        while (k < N(K) && !(strlen(K[k].name) == len && !memcmp(K[k].name, p + 1, len)))
            k++;
        if (k == N(K)) {
            tp_buf_append(b, p, 1); /* not a slot: literal brace */
            p++;
            continue;
        }
        tp_buf_puts(b, (const char *)s + K[k].off);
        p = close + 1;
    }
}

/* --- ticket templates ------------------------------------------------------------------- */

/* The problem, one per team; each ticket takes one issue and sometimes a
 * detail of the same team. */
static const char *const ISSUE_BILLING[] = {
    "I was charged twice for my {plan} subscription this month.",
    "There is a charge of {amount} on my {card} that I don't recognize.",
    ("Can I get a refund for {order}? I returned the {product} {days} days ago and still no money "
     "back."),
    "My invoice for {month} says {amount} but my {plan} plan should cost {amount2}.",
    "How do I update the credit card on file? The old {card} expired.",
    "I cancelled my subscription but you billed me again on {date}.",
    "Please send me a VAT invoice for {order}, I need it for my expense report.",
    "The promo code {code} was not applied and I paid full price for the {product}.",
    "Why did my monthly bill go up to {amount}? Nothing changed on our side.",
    "I got a payment failed email but my bank says the payment of {amount} went through.",
    "I would like to switch from monthly to annual billing and get the discount.",
    "You refunded {amount} but I paid {amount2}, where is the rest of my money?",
    "My statement shows a late fee of {amount} even though I paid on time.",
    "Please stop the automatic renewal and refund the last charge of {amount}.",
    "We were charged sales tax on invoice {inv} even though we are tax exempt.",
    "My payment was declined when I tried to pay invoice {inv}.",
    "I was billed for {seats} seats but we only use {n}.",
    "The receipt for {order} has the wrong company name on it, can you reissue it?",
    "I see two pending charges of {amount} from you on my {card}.",
    "When will I get my refund? It has been {days} days since you approved it.",
    "Can I pay by bank transfer instead of card for invoice {inv}?",
    "The free trial ended and I was charged {amount} without any reminder.",
};
static const char *const DETAIL_BILLING[] = {
    "This is the second time this has happened.",
    "I have attached a screenshot of my bank statement.",
    "Our finance team needs the corrected invoice by Friday.",
    "I never agreed to the price increase.",
    "My bank said the money is on your side.",
    "I want the overcharge returned to the same card.",
};
static const char *const ISSUE_TECHNICAL[] = {
    "The {product} keeps crashing when I open it on my {device}.",
    "I get {error} every time I try to sync the {product}.",
    "Since the last update my {product} won't connect to wifi anymore.",
    "The app freezes on the loading screen after updating to version {ver}.",
    "Bluetooth pairing between my {device} and the {product} fails every time.",
    "The battery of my {product} drains in {hours} hours, even when I am not using it.",
    "Exports from the {product} come out blank or corrupted.",
    "The web dashboard only shows a blank page in {browser}.",
    "The API returns {error} for every request since {date}.",
    "The firmware update is stuck at {pct}% on my {product}.",
    "Notifications from the {product} stopped working on my {device}.",
    "The {product} overheats and restarts on its own.",
    "How do I factory reset the {product}? It does not respond to anything.",
    "The screen of the {product} flickers since I installed version {ver}.",
    "Files are not syncing between my {device} and my {device2}.",
    "The {product} shows {error} when I try to back up.",
    "After the update the {product} disconnects every few minutes.",
    "The setup wizard fails at step {n} with {error}.",
    "The {product} is very slow and the fan is loud after version {ver}.",
    "Video from the {product} lags and the audio is out of sync.",
    "The {product} is not detected when I plug it into my {device}.",
    "The search in the {product} returns no results since {date}.",
};
static const char *const DETAIL_TECHNICAL[] = {
    "I already tried restarting it and reinstalling the app.",
    "The log says {error}.",
    "It worked fine until version {ver}.",
    "I am on the latest version of {browser}.",
    "It happens on both my {device} and my {device2}.",
    "Turning it off and on again did not help.",
};
static const char *const ISSUE_ACCOUNT[] = {
    "I can't log in, it says my password is incorrect even after resetting it.",
    "I never got the password reset email at {email}.",
    "Please change the email address on my profile to {email}.",
    "My account was locked after too many login attempts.",
    "I think someone else accessed my account, I see a sign-in from {city} that wasn't me.",
    "How do I turn on two-factor authentication?",
    "I lost my phone and can't get the two-factor code to sign in.",
    "Please delete my account and all my personal data.",
    "I want to merge my two accounts, the other one uses {email}.",
    "How can I add a new user to our workspace?",
    "I need to change the username on my profile.",
    "The verification link in your email says it has expired.",
    "Can you transfer ownership of the workspace to my colleague {fullname}?",
    "My account shows as deactivated but I did not do anything.",
    "I am not receiving the verification code by text message.",
    "I forgot which email I used to sign up, I think it was {email}.",
    "How do I remove a former employee's access to our workspace?",
    "The login page keeps sending me back to the sign-in screen.",
    "I want to change my password but the old one is not accepted.",
    "Someone changed the recovery email on my profile without my permission.",
    "Single sign-on stopped working for our team since {date}.",
};
static const char *const DETAIL_ACCOUNT[] = {
    "My username is {name}{n}.",
    "I checked the spam folder too.",
    "I need access today for a client meeting.",
    "I am the admin of the workspace.",
    "The email on file is {email}.",
    "I am worried my data is not safe.",
};
static const char *const ISSUE_SHIPPING[] = {
    "My order {order} still hasn't arrived, it was supposed to come on {date}.",
    "The tracking number for {order} hasn't updated in {days} days.",
    "The {product} arrived damaged, the box was completely crushed.",
    "I received the wrong item, I ordered a {product} but got a {product2}.",
    "Can I change the delivery address for {order} to my office in {city}?",
    "{carrier} marked my package as delivered but there is nothing here.",
    "Do you ship to {country}? How long does delivery take?",
    "Part of my order is missing, only {n} of the {m} items were in the box.",
    "I need to send back the {product}, how do I get a return label?",
    "My package has been stuck in customs in {country} for {days} days.",
    "Can I upgrade {order} to express delivery?",
    "The parcel was left at the wrong address.",
    "{carrier} says the address on order {order} is incomplete.",
    "Can I pick up my order at your warehouse instead of having it delivered?",
    "The delivery window for {order} keeps moving, when will it actually arrive?",
    "The package for {order} was returned to sender, can you ship it again?",
    "The box arrived open and the charger for my {product} is missing.",
    "My order shipped to my old address in {city}.",
    "Can you hold my package until I'm back from a trip on {date}?",
    "The courier tried to deliver {order} while I was home but left a note instead.",
    "I ordered {n} units of the {product} but the tracking only shows one parcel.",
};
static const char *const DETAIL_SHIPPING[] = {
    "The tracking page just says in transit.",
    "I have photos of the box.",
    "I need it before {date}.",
    "My neighbours didn't get it either.",
    "It was a gift so it needs to arrive soon.",
    "I paid for next-day delivery.",
};
static const char *const ISSUE_SALES[] = {
    "We are interested in buying {seats} licenses for our team, can I get a quote?",
    "Do you offer a discount for nonprofits or schools?",
    "What's the difference between the {plan} and {plan2} plans?",
    "Can I schedule a demo of the {product} for my team next week?",
    "Is there volume pricing if we order {seats} units of the {product}?",
    "I'd like to talk to someone about an enterprise plan for {company}.",
    "Do you have a reseller or partner program?",
    "Can we extend our trial by {days} days to finish evaluating the {product}?",
    "Does the {product} work with a {device}? We are thinking of buying {seats}.",
    "We want to move from {plan} to {plan2}, what would it cost for {seats} seats?",
    "Do you offer custom pricing for companies with more than {seats} employees?",
    "When does the new {product} launch and can I pre-order it?",
    "Can you send me a price list for the whole {product} range?",
    "We are comparing you with another vendor, what can you offer us for {seats} users?",
    "Is there an education discount for students?",
    "Could someone call me about pricing for {company}? We have {seats} staff.",
    "Do you sell gift cards or bundles with the {product}?",
    "I want to buy the {product} for my whole office, who should I talk to?",
    "Is the {plan} plan cheaper if we pay for two years up front?",
    "We are opening a new branch in {city} and need {seats} more licenses.",
    "Can I get a quote for {seats} {product} units delivered by {month}?",
};
static const char *const DETAIL_SALES[] = {
    "We would like to decide by the end of {month}.",
    "Our budget is around {amount} a month.",
    "We currently use a competitor but are not happy.",
    "Please include any setup fees in the quote.",
    "I'm the office manager at {company}.",
    "We need an offer we can show to our director.",
};

static const char *const *const ISSUES[DEMO_N_TEAMS] = {ISSUE_BILLING, ISSUE_TECHNICAL,
                                                        ISSUE_ACCOUNT, ISSUE_SHIPPING, ISSUE_SALES};
static const int N_ISSUES[DEMO_N_TEAMS] = {N(ISSUE_BILLING), N(ISSUE_TECHNICAL), N(ISSUE_ACCOUNT),
                                           N(ISSUE_SHIPPING), N(ISSUE_SALES)};
static const char *const *const DETAILS[DEMO_N_TEAMS] = {
    DETAIL_BILLING, DETAIL_TECHNICAL, DETAIL_ACCOUNT, DETAIL_SHIPPING, DETAIL_SALES};
static const int N_DETAILS[DEMO_N_TEAMS] = {N(DETAIL_BILLING), N(DETAIL_TECHNICAL),
                                            N(DETAIL_ACCOUNT), N(DETAIL_SHIPPING), N(DETAIL_SALES)};

/* Team-neutral pieces. */
static const char *const GREETINGS[] = {
    "Hi,",           "Hello,",     "Hey there,",          "Good morning,",
    "Dear support,", "Hi team,",   "Hello support team,", "Good afternoon,",
    "Hey,",          "Hi support,"};
static const char *const CONTEXTS[] = {
    "I bought the {product} last month.",
    "My order number is {order}.",
    "I've been a customer for {years} years.",
    "I'm writing on behalf of {company}.",
    "This is about the {product}.",
    "I'm using the {plan} plan.",
    "Ticket {ticket} was closed without an answer.",
    "I already emailed about this on {date}.",
};
static const char *const ASIDES[] = {
    "This is really frustrating.", "Please help asap.",
    "Thanks in advance.",          "I tried calling but nobody answered.",
    "Any help is appreciated.",    "Please get back to me soon.",
    "Not happy about this.",       "Hope you can help."};
static const char *const SIGNOFFS[] = {
    "Thanks, {name}", "Thank you!", "Regards, {fullname}",
    "Cheers",         "- {name}",   "Please advise.",
    "Best, {name}",   "Thanks",     "Kind regards, {fullname}, {company}"};

static const char KEY_ROWS[] = "qwertyuiop asdfghjkl zxcvbnm";

/* A keyboard neighbour of letter c (same row), keeping its case. */
static char neighbour(TpRng *r, char c) {
    const char *p = strchr(KEY_ROWS, tolower((unsigned char)c));
    if (!p)
        return c;
    char n =
        p > KEY_ROWS && p[-1] != ' ' && (chance(r, 0.5) || p[1] == ' ' || !p[1]) ? p[-1] : p[1];
    if (n == ' ' || !n)
        n = p[-1];
    return isupper((unsigned char)c) ? (char)toupper((unsigned char)n) : n;
}

/* Typos in words of 4+ letters with probability p each: a swap of two
 * neighbouring letters, a dropped, doubled or mistyped letter. */
static void typos(TpRng *r, TpBuf *b, double p) {
    if (p <= 0)
        return;
    TpBuf o;
    tp_buf_init(&o);
    size_t i = 0;
    while (i < b->len) {
        if (!isalpha((unsigned char)b->data[i])) {
            tp_buf_append(&o, b->data + i, 1);
            i++;
            continue;
        }
        size_t j = i;
        while (j < b->len && isalpha((unsigned char)b->data[j]))
            j++;
        char w[128];
        size_t n = j - i < sizeof w - 2 ? j - i : sizeof w - 2;
        memcpy(w, b->data + i, n);
        w[n] = '\0';
        if (n >= 4 && chance(r, p)) {
            size_t k = 1 + (size_t)rnd(r, (int)n - 2); /* never the first letter */
            switch (rnd(r, 4)) {
            case 0: {
                char t = w[k];
                w[k] = w[k + 1];
                w[k + 1] = t;
            } break;
            case 1:
                memmove(w + k, w + k + 1, n - k);
                break;
            case 2:
                memmove(w + k + 1, w + k, n - k + 1);
                break;
            default:
                w[k] = neighbour(r, w[k]);
                break;
            }
        }
        tp_buf_puts(&o, w);
        i = j;
    }
    tp_buf_free(b);
    *b = o;
}

static char *ticket_text(TpRng *r, int team, const Slots *sl) {
    const Slots s = *sl;
    TpBuf b;
    tp_buf_init(&b);
    tp_buf_puts(&b, "");
    const char *sep = chance(r, 0.25) ? "\n" : " ";
    if (chance(r, 0.65)) {
        expand(&b, PICK(r, GREETINGS), &s);
        tp_buf_puts(&b, sep);
    }
    bool ctx_first = chance(r, 0.35);
    if (ctx_first) {
        expand(&b, PICK(r, CONTEXTS), &s);
        tp_buf_puts(&b, " ");
    }
    expand(&b, ISSUES[team][rnd(r, N_ISSUES[team])], &s);
    if (chance(r, 0.4)) {
        tp_buf_puts(&b, " ");
        expand(&b, DETAILS[team][rnd(r, N_DETAILS[team])], &s);
    }
    if (!ctx_first && chance(r, 0.2)) {
        tp_buf_puts(&b, " ");
        expand(&b, PICK(r, CONTEXTS), &s);
    }
    if (chance(r, 0.3)) {
        tp_buf_puts(&b, " ");
        expand(&b, PICK(r, ASIDES), &s);
    }
    if (chance(r, 0.45)) {
        tp_buf_puts(&b, sep);
        expand(&b, PICK(r, SIGNOFFS), &s);
    }
    static const double TYPO[] = {0, 0, 0.03, 0.06, 0.1};
    typos(r, &b, PICK(r, TYPO));
    double style = tp_rng_uniform(r);
    if (style < 0.10) {
        for (size_t i = 0; i < b.len; i++)
            b.data[i] = (char)tolower((unsigned char)b.data[i]);
    } else if (style < 0.14 && b.len && b.data[b.len - 1] == '.') {
        b.data[--b.len] = '\0'; /* no final full stop */
    } else if (style < 0.17 && b.len && b.data[b.len - 1] == '.') {
        b.data[b.len - 1] = '!';
    }
    return tp_buf_take(&b);
}

/* --- agent replies (topical, never naming a team) ----------------------------------------- */

static const char *const REPLY_BILLING[] = {
    "I'm sorry about the extra charge. I've issued a refund of {amount} to your {card}; it "
    "should appear within 5 business days.",
    "Thanks for your patience. I've corrected invoice {inv} and sent the new copy to your "
    "email.",
    "I can see the duplicate payment on our side and have reversed it.",
    "Your subscription is now set to annual payments, with the discount applied from the next "
    "renewal.",
    "I've updated the card on file and retried the payment, which went through.",
    "Automatic renewal is now switched off and the last charge has been refunded.",
    "I've applied the code {code} and refunded the difference of {amount2}.",
    "The tax has been removed from your invoice and the difference credited to your balance.",
};
static const char *const REPLY_TECHNICAL[] = {
    "Thanks for the details. Please update to version {ver} and restart the {product}; that "
    "release fixes this crash.",
    "Could you send us the logs from Settings > Help > Diagnostics so our engineers can look "
    "at the error?",
    "Please hold the power button for 10 seconds to reset the {product}, then pair it again.",
    "This is a known issue with {browser}; clearing the cache fixes it until the next release.",
    "We found the bug behind this error and a fix will ship in version {ver}.",
    "Please unplug the {product} for a minute, then run the setup again from the start.",
    "Our engineers confirmed the sync problem and pushed a server fix, please try again.",
    "Try turning off battery saver on your {device}; it stops the app from running in the "
    "background.",
};
static const char *const REPLY_ACCOUNT[] = {
    "I've unlocked your profile and sent a password reset link to {email}.",
    "For your security I've signed out all sessions; please set a new password and turn on "
    "two-factor authentication.",
    "Your email address has been changed to {email}; please confirm it with the link we sent.",
    "I've sent a fresh verification link, which is valid for 24 hours.",
    "Your data will be deleted within 30 days and you will get a confirmation email.",
    "Ownership of the workspace has been moved to {fullname}.",
    "I've disabled two-factor authentication on your profile so you can sign in and set it up "
    "on your new phone.",
    "The former user has been removed and can no longer sign in.",
};
static const char *const REPLY_SHIPPING[] = {
    "I'm sorry your parcel is late. {carrier} shows it at the local depot; it should arrive "
    "within {n} days.",
    "I've sent you a prepaid return label by email; drop the box at any {carrier} point.",
    "A replacement {product} is on its way with express delivery at no cost.",
    "I've updated the delivery address to {city} before the parcel left our warehouse.",
    "We've opened a trace with {carrier}; if the parcel doesn't turn up in {n} days we'll "
    "send a new one.",
    "The missing items were shipped separately today, here is the new tracking number.",
    "Customs needs a signed form; I've emailed it to you with instructions.",
    "Yes, we deliver there; standard delivery takes {days} days.",
};
static const char *const REPLY_SALES[] = {
    ("Thanks for your interest! For {seats} seats on the {plan2} plan we can offer 15% off; I've "
     "attached a quote."),
    "I'd be happy to show you the {product}. Does {date} at 10am work for a demo call?",
    "We do offer a 30% discount for nonprofits and schools; I've sent the application form.",
    "The {plan2} plan adds admin controls and priority support; here is a comparison.",
    "I've extended your trial by {days} days so your team can finish the evaluation.",
    "Our partner program manager will contact you this week about reselling.",
    "Pre-orders for the new {product} open in {month}; I've added you to the list.",
    "For {seats} units we have volume pricing; the price list is attached.",
};
static const char *const *const REPLIES[DEMO_N_TEAMS] = {
    REPLY_BILLING, REPLY_TECHNICAL, REPLY_ACCOUNT, REPLY_SHIPPING, REPLY_SALES};
static const int N_REPLIES[DEMO_N_TEAMS] = {N(REPLY_BILLING), N(REPLY_TECHNICAL), N(REPLY_ACCOUNT),
                                            N(REPLY_SHIPPING), N(REPLY_SALES)};
static const char *const REPLY_OPEN[] = {
    "Hi {name},", "Hello {name},", "Hi there,", "Dear {name},", "Thanks for reaching out.", ""};
static const char *const REPLY_CLOSE[] = {"Best regards, {fullname}", "Kind regards",
                                          "Let us know if there's anything else.",
                                          "Have a great day!", ""};

static char *reply_text(TpRng *r, int team, const Slots *sl) {
    const Slots s = *sl;
    TpBuf b;
    tp_buf_init(&b);
    tp_buf_puts(&b, "");
    const char *open = PICK(r, REPLY_OPEN);
    if (*open) {
        expand(&b, open, &s);
        tp_buf_puts(&b, " ");
    }
    expand(&b, REPLIES[team][rnd(r, N_REPLIES[team])], &s);
    const char *close = PICK(r, REPLY_CLOSE);
    if (*close) {
        tp_buf_puts(&b, " ");
        expand(&b, close, &s);
    }
    return tp_buf_take(&b);
}

char *demo_ticket(TpRng *r, int team) {
    Slots s;
    fill_slots(r, &s);
    return ticket_text(r, team, &s);
}

char *demo_reply(TpRng *r, int team) {
    Slots s;
    fill_slots(r, &s);
    return reply_text(r, team, &s);
}

/* --- files ------------------------------------------------------------------------------- */

static TpStatus write_lines(const char *path, const TpBuf *b, TpError *err) {
    TpStatus st = tp_mkdirs_for_file(path, err);
    if (st == TP_OK)
        st = tp_file_write_atomic(path, b->data ? b->data : "", b->len, err);
    return st;
}

static void add_json_line(TpBuf *b, cJSON *o) {
    char *s = cJSON_PrintUnformatted(o);
    tp_buf_puts(b, s);
    tp_buf_puts(b, "\n");
    free(s);
    cJSON_Delete(o);
}

/* Tickets of the task data set: per team n / DEMO_N_TEAMS, none in avoid nor repeated. */
TpStatus demo_write_task(const char *path, uint64_t seed, int n, const TpStrMap *avoid,
                         TpError *err) {
    if (n < DEMO_N_TEAMS || n % DEMO_N_TEAMS)
        return tp_error_set(err, TP_EINVAL, "tickets: expected a multiple of %d, got %d",
                            DEMO_N_TEAMS, n);
    TpRng r;
    tp_rng_seed(&r, seed);
    int *team = tp_xmalloc(sizeof(int) * (size_t)n);
    for (int i = 0; i < n; i++)
        team[i] = i % DEMO_N_TEAMS;
    for (int i = n - 1; i > 0; i--) {
        int j = rnd(&r, i + 1), t = team[i];
        team[i] = team[j];
        team[j] = t;
    }
    TpStrMap seen = {0};
    TpBuf b;
    tp_buf_init(&b);
    for (int i = 0; i < n; i++) {
        char *t = NULL;
        for (int tries = 0; tries < 1000; tries++) {
            t = demo_ticket(&r, team[i]);
            size_t len = strlen(t);
            if ((!avoid || tp_strmap_get(avoid, t, len, -1) < 0) &&
                tp_strmap_get(&seen, t, len, -1) < 0)
                break;
            free(t);
            t = NULL;
        }
        if (!t) {
            t = demo_ticket(&r, team[i]); /* practically unreachable */
        }
        tp_strmap_slot(&seen, t, strlen(t), true);
        TpBuf u;
        tp_buf_init(&u);
        tp_buf_puts(&u, DEMO_INSTRUCTION);
        tp_buf_puts(&u, t);
        free(t);
        cJSON *o = cJSON_CreateObject();
        cJSON *msgs = cJSON_AddArrayToObject(o, "messages");
        cJSON *m = cJSON_CreateObject();
        cJSON_AddStringToObject(m, "role", "user");
        cJSON_AddStringToObject(m, "content", u.data);
        cJSON_AddItemToArray(msgs, m);
        m = cJSON_CreateObject();
        cJSON_AddStringToObject(m, "role", "assistant");
        cJSON_AddStringToObject(m, "content", DEMO_TEAMS[team[i]]);
        cJSON_AddItemToArray(msgs, m);
        add_json_line(&b, o);
        tp_buf_free(&u);
    }
    TpStatus st = write_lines(path, &b, err);
    tp_buf_free(&b);
    tp_strmap_free(&seen);
    free(team);
    return st;
}

TpStatus demo_write_tickets(const char *path, uint64_t seed, int n, TpError *err) {
    return demo_write_task(path, seed, n, NULL, err);
}

/* The corpus: transcripts "Customer: <ticket>\nAgent: <reply>" (some
 * tickets alone), split after the first 1-3 words into prompt and
 * completion. texts collects every transcript (for the tokenizer) and
 * tickets every ticket text (kept out of the task data). */
TpStatus demo_write_corpus(const char *path, uint64_t seed, int n, char ***texts,
                           TpStrMap *tickets, TpError *err) {
    TpRng r;
    tp_rng_seed(&r, seed);
    TpBuf b;
    tp_buf_init(&b);
    *texts = tp_xcalloc((size_t)n + 1, sizeof(char *));
    for (int i = 0; i < n; i++) {
        int team = rnd(&r, DEMO_N_TEAMS);
        Slots sl;
        fill_slots(&r, &sl);
        char *t = ticket_text(&r, team, &sl);
        tp_strmap_slot(tickets, t, strlen(t), true);
        TpBuf x;
        tp_buf_init(&x);
        tp_buf_puts(&x, "Customer: ");
        tp_buf_puts(&x, t);
        free(t);
        if (chance(&r, 0.8)) {
            char *reply = reply_text(&r, team, &sl);
            tp_buf_puts(&x, "\nAgent: ");
            tp_buf_puts(&x, reply);
            free(reply);
        }
        /* the prompt: "Customer:" and the first 0-2 words of the ticket */
        int words = rnd(&r, 3);
        size_t cut = strlen("Customer:");
        for (int w = 0; w < words; w++) {
            const char *sp = strchr(x.data + cut + 1, ' ');
            const char *nl = strchr(x.data + cut + 1, '\n');
            if (nl && (!sp || nl < sp))
                break;
            if (!sp)
                break;
            cut = (size_t)(sp - x.data);
        }
        char *prompt = tp_xmalloc(cut + 1);
        memcpy(prompt, x.data, cut);
        prompt[cut] = '\0';
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "prompt", prompt);
        cJSON_AddStringToObject(o, "completion", x.data + cut);
        add_json_line(&b, o);
        free(prompt);
        (*texts)[i] = tp_buf_take(&x);
    }
    TpStatus st = write_lines(path, &b, err);
    tp_buf_free(&b);
    return st;
}
