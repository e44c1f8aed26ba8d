package demo

import (
	"fmt"
	"strconv"
)

// A large generated catalog, for `go run ./cmd/local seed` and the load
// tool: product n (counting from 0 over the whole catalog) is always the
// same, so a seed that stops half-way and runs again, or runs again with a
// larger target, makes the same catalog as one run.
//
// Its words are chosen so that each kind of search the performance targets
// name has a word to time (the frequencies hold at any size):
const (
	// SearchCommon is in about a quarter of the products' names, and
	// SearchCommonPair ("fresh bread") in about one in forty: two
	// common words that occur together.
	SearchCommon     = "fresh"
	SearchCommonPair = "fresh bread"
	// SearchPrefix begins tomato, tomatoes and tomatillo: about 6%.
	SearchPrefix = "tom"
	// SearchMedium is in one product in a thousand.
	SearchMedium = "truffle"
	// SearchRare is in one product in ten thousand.
	SearchRare = "saffron"
	// SearchAbsent begins no word of the catalog (nor does "zz").
	SearchAbsent = "zzyzx"
)

var (
	qualifiers = []string{"Fresh", "Organic", "Local", "Homemade"} // Fresh: 1 in 4
	items      = []string{
		"rye bread", "sourdough bread", "corn bread", "banana bread", "garlic bread", // bread: 5 in 50
		"cherry tomatoes", "tomato sauce", "tomatillo salsa", // tom: 3 in 50
		"baguette", "croissant", "cinnamon roll", "focaccia", "ciabatta",
		"bananas", "avocados", "lemons", "oranges", "apples", "pears", "grapes",
		"spinach", "kale", "carrots", "potatoes", "onions", "garlic", "leeks",
		"eggs", "whole milk", "greek yoghurt", "butter", "cheddar", "mozzarella", "ricotta",
		"lasagna", "pizza", "tagliatelle", "pesto", "minestrone", "risotto",
		"espresso beans", "green tea", "orange juice", "lemonade", "honey",
		"granola", "oat biscuits", "chocolate cake", "apple pie", "tiramisu",
	}
	sizes   = []string{"250 g", "500 g", "1 kg", "6 pack", "large", "small"}
	details = []string{
		"Baked this morning.", "Picked this week.", "Made by hand.", "From a farm nearby.",
		"Ready to eat.", "Slow cooked.", "Stone ground.", "Sun ripened.",
	}
	companyFirst  = []string{"Sunny", "Green", "Golden", "Little", "Old", "Blue", "Red", "Happy", "Corner", "River", "Hill", "Market", "Village", "Harbour", "Garden", "Royal", "Silver", "Maple", "Olive", "Coastal"}
	companySecond = []string{"Basket", "Oven", "Table", "Kitchen", "Pantry", "Mill", "Orchard", "Larder", "Crate", "Barrel", "Cellar", "Field", "Dairy", "Bakehouse", "Grove", "Harvest", "Spoon", "Ladle", "Stall", "Cart"}
	companyKind   = []string{"Grocers", "Bakery", "Deli", "Market", "Foods", "Provisions", "Traders", "Co"}
)

// CatalogCompanyName returns the name of generated company i (from 0): a
// distinct name for each i.
func CatalogCompanyName(i int) string {
	a, b, k := len(companyFirst), len(companySecond), len(companyKind)
	name := fmt.Sprintf("%s %s %s", companyFirst[i%a], companySecond[i/a%b], companyKind[i/(a*b)%k])
	if round := i / (a * b * k); round > 0 {
		name += " " + strconv.Itoa(round+1)
	}
	return name
}

// CatalogProduct is generated product n.
type CatalogProduct struct {
	Company     int // index of its company, for CatalogCompanyName
	Name        string
	Description string
	Price       string
}

// GenerateProduct returns product n of a catalog of perCompany products
// per company over companies companies: consecutive products belong to one
// company, as a shop adds its products together.
func GenerateProduct(n, perCompany, companies int) CatalogProduct {
	h := mix(uint64(n))
	pick := func(list []string, shift uint) string { return list[(h>>shift)%uint64(len(list))] }
	name := pick(qualifiers, 0) + " " + pick(items, 8) + ", " + pick(sizes, 24)
	description := pick(details, 32)
	switch {
	case n%10000 == 7777:
		description += " With " + SearchRare + "."
	case n%1000 == 333:
		description += " With black " + SearchMedium + "."
	}
	return CatalogProduct{
		Company:     n / max(perCompany, 1) % max(companies, 1),
		Name:        name,
		Description: description,
		Price:       fmt.Sprintf("%d.%02d", 1+(h>>40)%40, (h>>48)%100),
	}
}

// mix is SplitMix64's finaliser: a well-spread hash of n.
func mix(n uint64) uint64 {
	n += 0x9e3779b97f4a7c15
	n = (n ^ n>>30) * 0xbf58476d1ce4e5b9
	n = (n ^ n>>27) * 0x94d049bb133111eb
	return n ^ n>>31
}
