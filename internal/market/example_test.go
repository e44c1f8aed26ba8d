package market_test

import (
	"encoding/json"
	"fmt"

	"github.com/deliverymarket/delivery/internal/market"
)

// Money always renders with two decimals and parses from a string or a
// number without passing through a binary float.
func ExampleMoney() {
	b, _ := json.Marshal(map[string]market.Money{"price": market.MustMoney("4.5")})
	fmt.Println(string(b))

	var m market.Money
	_ = json.Unmarshal([]byte(`0.1`), &m)
	fmt.Println(m.Add(market.MustMoney("0.2").Decimal).StringFixed(2))
	// Output:
	// {"price":"4.50"}
	// 0.30
}

// Price bills normalized items exactly at the given products' prices.
func ExamplePrice() {
	products := map[int64]market.Product{
		1: {ID: 1, Name: "Croissant", Price: market.MustMoney("2.75"), Active: true},
		2: {ID: 2, Name: "Espresso beans 250 g", Price: market.MustMoney("9.90"), Active: true},
	}
	items, _ := market.NormalizeItems([]market.Item{
		{ProductID: 1, Quantity: 2}, {ProductID: 2, Quantity: 1}, {ProductID: 1, Quantity: 1},
	})
	q, _ := market.Price("USD", items, products)
	for _, l := range q.Lines {
		fmt.Printf("%-22s %s × %d = %s\n", l.Name, l.UnitPrice.String(), l.Quantity, l.LineTotal.String())
	}
	fmt.Printf("%d items, total %s %s\n", q.ItemCount, q.Currency, q.Total.String())

	_, err := market.Price("USD", []market.Item{{ProductID: 7, Quantity: 1}}, products)
	fmt.Println(err)
	// Output:
	// Croissant              2.75 × 3 = 8.25
	// Espresso beans 250 g   9.90 × 1 = 9.90
	// 4 items, total USD 18.15
	// unavailable_products: 1 product(s) are unknown or no longer available
}
